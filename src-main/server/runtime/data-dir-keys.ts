import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import type { ServerConfig } from '../config.js';
import { parseEd25519PrivateKey } from '../key-files.js';
import type { ServerKeys } from './runtime.js';
import { readOrCreateSecretFile } from './secret-file.js';

export const SIGNING_KEY_FILE = 'license-signing-key.pem';
export const HOST_KEY_FILE = 'ssh_host_ed25519_key';

function newEd25519Pem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * The keys of a server whose state lives in a data dir (SQLite, one or several processes): the JWT secret and
 * admin key digests as the config resolved them (environment first, else files in the data dir), the license
 * signing key and the SSH host key from their files. Every file is created at most once, race-free, so two
 * processes starting together on one data dir share every key.
 */
export function loadDataDirKeys(config: ServerConfig): ServerKeys {
  // Only a config resolved for a database URL leaves it out, and that one gets the PostgreSQL runtime.
  if (!config.jwtSecret)
    throw new Error('no JWT secret: a data dir runtime needs a config without a database URL');
  return {
    jwtSecret: config.jwtSecret,
    apiKeyDigests: config.apiKeyDigests,
    licenseSigningKeyPem: ed25519File(join(config.dataDir, SIGNING_KEY_FILE)),
    sshHostKeyPem: ed25519File(join(config.dataDir, HOST_KEY_FILE)),
  };
}

/** The key file's PEM, created when missing; a damaged file stops the start with one line naming it. */
function ed25519File(file: string): string {
  const pem = readOrCreateSecretFile(file, newEd25519Pem).content;
  // A damaged file stops the start with one line naming it (see key-files.ts).
  parseEd25519PrivateKey(pem, file);
  return pem;
}
