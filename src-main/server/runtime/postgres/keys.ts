import { generateKeyPairSync } from 'node:crypto';
import type pg from 'pg';
import { randomSecret, sha256Hex } from '../../auth/secret-hash.js';
import { checkJwtSecret, parseApiKeyDigests, parseEd25519PrivateKey } from '../../key-files.js';
import type { ServerKeys } from '../runtime.js';

/**
 * Creates the row unless it exists, then reads whichever value won: `INSERT … ON CONFLICT DO NOTHING` never
 * overwrites, so instances starting together all read the first one's secret.
 */
async function once(
  pool: pg.Pool,
  name: string,
  make: () => string,
): Promise<{ value: string; created: boolean }> {
  const ins = await pool.query(
    'INSERT INTO runtime_keys (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
    [name, make()],
  );
  const r = await pool.query<{ value: string }>('SELECT value FROM runtime_keys WHERE name = $1', [name]);
  return { value: r.rows[0]!.value, created: ins.rowCount === 1 };
}

const ed25519Pem = () =>
  generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

export interface FleetKeyInput {
  /** Operator-supplied JWT secret (OUTPOST_JWT_SECRET); otherwise one is kept in the database. */
  jwtSecret?: Uint8Array;
  /** Operator-supplied admin key digests (OUTPOST_API_KEYS); otherwise one generated key's digest is kept. */
  apiKeyDigests?: readonly string[];
}

/**
 * The keys an operator supplies through the environment, by the same rules as a single server's config
 * (OUTPOST_JWT_SECRET ≥ 32 characters, OUTPOST_API_KEYS comma-separated); what is not supplied is kept in the
 * database for the whole fleet rather than in each instance's data dir.
 */
export function operatorKeys(env: NodeJS.ProcessEnv): FleetKeyInput {
  const out: FleetKeyInput = {};
  const jwt = env.OUTPOST_JWT_SECRET;
  if (jwt) {
    if (jwt.length < 32) throw new Error('OUTPOST_JWT_SECRET must be at least 32 characters');
    out.jwtSecret = new TextEncoder().encode(jwt);
  }
  const apiKeys = (env.OUTPOST_API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (apiKeys.length > 0) out.apiKeyDigests = apiKeys.map(sha256Hex);
  return out;
}

/**
 * One set of keys for the fleet, in `runtime_keys`, unless the operator supplies them. A generated admin key is
 * returned once, to the instance that created it, for printing; the database keeps only its digest.
 */
export async function loadFleetKeys(
  pool: pg.Pool,
  input: FleetKeyInput,
): Promise<{ keys: ServerKeys; generatedApiKey?: string }> {
  const signing = await once(pool, 'license-signing-key', ed25519Pem);
  const host = await once(pool, 'ssh-host-key', ed25519Pem);
  // A row edited by hand stops the start with one line naming it, as a damaged key file does.
  parseEd25519PrivateKey(signing.value, 'runtime_keys license-signing-key');
  parseEd25519PrivateKey(host.value, 'runtime_keys ssh-host-key');
  const jwtSecret =
    input.jwtSecret ??
    new TextEncoder().encode(
      checkJwtSecret(
        (await once(pool, 'jwt-secret', () => randomSecret(48))).value,
        'runtime_keys jwt-secret',
      ),
    );
  let apiKeyDigests = input.apiKeyDigests;
  let generatedApiKey: string | undefined;
  if (!apiKeyDigests || apiKeyDigests.length === 0) {
    const key = `opk_${randomSecret(32)}`;
    const row = await once(pool, 'api-key-digests', () => `${sha256Hex(key)}\n`);
    if (row.created) generatedApiKey = key;
    apiKeyDigests = parseApiKeyDigests(row.value, 'runtime_keys api-key-digests');
  }
  return {
    keys: { jwtSecret, apiKeyDigests, licenseSigningKeyPem: signing.value, sshHostKeyPem: host.value },
    generatedApiKey,
  };
}
