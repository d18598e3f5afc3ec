import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveServerConfig } from '../../src-main/server/config.js';
import { spawnServer } from '../helpers/server-process.js';

/**
 * A server whose data dir holds a bad key file refuses to start: exit code ≠ 0 and one line on stderr naming
 * the file and what is wrong with it (no OpenSSL decoder message, no stack), like the env checks do.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const garblePem = '-----BEGIN PRIVATE KEY-----\nTm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n';

interface Case {
  name: string;
  file: string;
  /** File content, or a directory in its place. */
  content: string | { dir: true };
  why: RegExp;
  /** The admin keys come from the environment unless the case is about the keys file. */
  env?: Record<string, string>;
}

const withKeys = { OUTPOST_API_KEYS: 'test-admin-key-0123456789abcdef' };
const cases: Case[] = [
  {
    name: 'a 1-character JWT secret',
    file: 'jwt-secret',
    content: 'a\n',
    why: /at least 32 characters \(it has 1\)/,
    env: withKeys,
  },
  {
    name: 'an empty JWT secret',
    file: 'jwt-secret',
    content: '',
    why: /at least 32 characters \(it has 0\)/,
    env: withKeys,
  },
  {
    name: 'a JWT secret that is a directory',
    file: 'jwt-secret',
    content: { dir: true },
    why: /is a directory/,
    env: withKeys,
  },
  {
    name: 'an API key file without any digest',
    file: 'api-keys.sha256',
    content: '\n\n',
    why: /no admin key digest/,
  },
  {
    name: 'an API key file with a garbage line',
    file: 'api-keys.sha256',
    content: `${'a'.repeat(64)}\nopk_plaintext_key\n`,
    why: /line 2 is not a SHA-256 digest/,
  },
  {
    name: 'a garbage license signing key',
    file: 'license-signing-key.pem',
    content: 'garbage\n',
    why: /not a PEM private key/,
    env: withKeys,
  },
  {
    name: 'an empty license signing key',
    file: 'license-signing-key.pem',
    content: '',
    why: /empty key file/,
    env: withKeys,
  },
  {
    name: 'a corrupt PEM license signing key',
    file: 'license-signing-key.pem',
    content: garblePem,
    why: /cannot be decoded/,
    env: withKeys,
  },
  {
    name: 'an RSA license signing key',
    file: 'license-signing-key.pem',
    content: rsaPem,
    why: /rsa key, expected Ed25519/,
    env: withKeys,
  },
  {
    name: 'a garbage SSH host key',
    file: 'ssh_host_ed25519_key',
    content: 'garbage\n',
    why: /not a PEM private key/,
    env: withKeys,
  },
  {
    name: 'a corrupt PEM SSH host key',
    file: 'ssh_host_ed25519_key',
    content: garblePem,
    why: /cannot be decoded/,
    env: withKeys,
  },
];

describe('key files are checked at start', () => {
  // Real processes through tsx: a few side by side (all at once would starve a 2-core machine).
  let slots = 3;
  const waiting: (() => void)[] = [];
  const slot = async () => {
    if (slots > 0) slots--;
    else await new Promise<void>((r) => waiting.push(r));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  };
  const outcomes = cases.map(async (c) => {
    await slot();
    try {
      return await outcome(c);
    } finally {
      release();
    }
  });
  async function outcome(c: Case) {
    const dataDir = mkdtempSync(join(tmpdir(), 'outpost-keys-'));
    dirs.push(dataDir);
    const path = join(dataDir, c.file);
    if (typeof c.content === 'string') writeFileSync(path, c.content, { mode: 0o600 });
    else mkdirSync(path);
    const p = spawnServer({ dataDir, env: c.env ?? {} });
    const code = await p.exited;
    return { code, stdout: p.stdout(), stderr: p.stderr(), path };
  }

  cases.forEach((c, i) => {
    it(`refuses ${c.name}: one line naming the file and the problem`, async () => {
      const o = await outcomes[i]!;
      expect(o.code).not.toBe(0);
      expect(o.stdout).not.toContain('listening on');
      const lines = o.stderr.trim().split('\n');
      expect(lines, o.stderr).toHaveLength(1);
      expect(lines[0]).toContain(o.path);
      expect(lines[0]).toMatch(c.why);
      expect(o.stderr).not.toMatch(/DECODER|error:[0-9A-F]{8}|\n\s+at /);
    }, 60_000);
  });
});

describe('admin keys from the environment', () => {
  it('a key shorter than 16 characters in OUTPOST_API_KEYS is refused, naming the variable and which key', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'outpost-keys-'));
    dirs.push(dataDir);
    const env = { OUTPOST_API_KEYS: 'long-enough-key-0123456789,short' };
    expect(() => resolveServerConfig({ dataDir, env })).toThrow(
      'OUTPOST_API_KEYS: key 2 is shorter than 16 characters',
    );
  });
});
