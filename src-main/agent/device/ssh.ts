/**
 * Seed 004 "future": the device's SSH identity and the server's pinned host key.
 *  - An ed25519 key pair is made once and kept as <dataDir>/ssh/id_ed25519 (OpenSSH private key format,
 *    unencrypted, mode 0600 — the same contract as ~/.ssh/id_ed25519, so `ssh -i` can use it directly; the OS
 *    keyring is not an option for a key that ssh itself must read) and id_ed25519.pub.
 *  - The public key is published with PUT /api/devices/:key/ssh-key.
 *  - The server's /api/ssh-hostkey is pinned on first use in ssh/server_hostkey.pub; a different key later is
 *    logged as a warning and reported, and the pin is NOT replaced (trust on first use, like known_hosts).
 */
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from './state.js';

function sshString(buf: Buffer | string): Buffer {
  const b = typeof buf === 'string' ? Buffer.from(buf) : buf;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function rawEd25519(pub: KeyObject, priv: KeyObject): { pub32: Buffer; seed32: Buffer } {
  const pubJwk = pub.export({ format: 'jwk' });
  const privJwk = priv.export({ format: 'jwk' });
  return {
    pub32: Buffer.from(pubJwk.x ?? '', 'base64url'),
    seed32: Buffer.from(privJwk.d ?? '', 'base64url'),
  };
}

export function openSshPublicKey(pub32: Buffer, comment: string): string {
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub32)]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

/** "openssh-key-v1" container, no cipher (see PROTOCOL.key in OpenSSH). */
export function openSshPrivateKey(pub32: Buffer, seed32: Buffer, comment: string): string {
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub32)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(pub32),
    sshString(Buffer.concat([seed32, pub32])),
    sshString(comment),
  ]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    Buffer.from([0, 0, 0, 1]),
    sshString(pubBlob),
    sshString(priv),
  ]);
  const b64 = body.toString('base64').replace(/(.{70})/g, '$1\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64.trim()}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** OpenSSH-style fingerprint of a public key line: `SHA256:<base64 without padding>`. */
export function sshFingerprint(pubkeyLine: string): string {
  const blob = Buffer.from(pubkeyLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export interface SshPaths {
  dir: string;
  privateKey: string;
  publicKey: string;
  serverHostKey: string;
}

export function sshPaths(dataDir: string): SshPaths {
  const dir = join(dataDir, 'ssh');
  return {
    dir,
    privateKey: join(dir, 'id_ed25519'),
    publicKey: join(dir, 'id_ed25519.pub'),
    serverHostKey: join(dir, 'server_hostkey.pub'),
  };
}

/** Returns the device's public key line, creating the pair on first use. */
export function ensureSshKeyPair(dataDir: string, deviceKey: string): string {
  const p = sshPaths(dataDir);
  if (existsSync(p.privateKey) && existsSync(p.publicKey)) return readFileSync(p.publicKey, 'utf8').trim();
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const { pub32, seed32 } = rawEd25519(publicKey, privateKey);
  const comment = `outpost-${deviceKey}@${hostname()}`.replace(/\s+/g, '-');
  writeAtomic(p.privateKey, openSshPrivateKey(pub32, seed32, comment));
  const line = openSshPublicKey(pub32, comment);
  writeAtomic(p.publicKey, `${line}\n`);
  return line;
}

export type HostKeyCheck =
  | { status: 'pinned'; fingerprint: string }
  | { status: 'match'; fingerprint: string }
  | { status: 'changed'; fingerprint: string; pinned_fingerprint: string };

/** Trust on first use: pin the first key seen; report (never overwrite) a different one later. */
export function checkServerHostKey(dataDir: string, serverKey: string): HostKeyCheck {
  const p = sshPaths(dataDir);
  const line = serverKey.trim().split('\n')[0]?.trim() ?? '';
  const fp = sshFingerprint(line);
  if (!existsSync(p.serverHostKey)) {
    mkdirSync(p.dir, { recursive: true, mode: 0o700 });
    writeAtomic(p.serverHostKey, `${line}\n`);
    return { status: 'pinned', fingerprint: fp };
  }
  const pinned = readFileSync(p.serverHostKey, 'utf8').trim();
  const pinnedFp = sshFingerprint(pinned);
  return pinnedFp === fp
    ? { status: 'match', fingerprint: fp }
    : { status: 'changed', fingerprint: fp, pinned_fingerprint: pinnedFp };
}
