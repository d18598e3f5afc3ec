import { randomInt } from 'node:crypto';

/** Upper-case letters and digits without the ambiguous 0/O, 1/I/L: 31 symbols, ~4.95 bits each. */
export const KEY_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export const DEFAULT_LICENSE_PREFIX = 'PROGRAN3';
export const LICENSE_PREFIX_RE = /^[A-Z][A-Z0-9]{1,15}$/;

function block(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += KEY_ALPHABET[randomInt(KEY_ALPHABET.length)];
  return out;
}

/**
 * `PREFIX-YYYY-XXXXXX-XXXXXX` (seed 002). The 12 random symbols come from the CSPRNG (crypto.randomInt is
 * unbiased), ~59 bits: guessing a live key is hopeless even before the per-IP weighted rate limit.
 */
export function generateLicenseKey(prefix = DEFAULT_LICENSE_PREFIX, now = new Date()): string {
  return `${prefix}-${now.getUTCFullYear()}-${block(6)}-${block(6)}`;
}

/** OUTPOST_LICENSE_PREFIX, validated (upper-cased); the default when unset. */
export function licensePrefixFrom(env: NodeJS.ProcessEnv): string {
  const raw = env.OUTPOST_LICENSE_PREFIX?.trim();
  if (!raw) return DEFAULT_LICENSE_PREFIX;
  const p = raw.toUpperCase();
  if (!LICENSE_PREFIX_RE.test(p)) {
    throw new Error(`OUTPOST_LICENSE_PREFIX '${raw}' must be 2-16 letters/digits starting with a letter`);
  }
  return p;
}
