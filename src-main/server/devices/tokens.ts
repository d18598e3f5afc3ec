import { randomBytes, randomInt } from 'node:crypto';
import { normaliseTokenCode } from '../../../src-shared/codes.js';
import { sha256Hex } from '../auth/secret-hash.js';

/** Seed 004's one-time registration token: 6 upper-case hex characters from a CSPRNG. */
export function newTokenCode(): string {
  return randomInt(0, 0x1000000).toString(16).toUpperCase().padStart(6, '0');
}

/**
 * What the store keeps instead of the token. Salting with the device key means one hash table cannot serve all
 * devices; the token is still only 24 bits, which is why it is short-lived, single-use and guess-limited.
 */
export function tokenHash(deviceKey: string, tokenCode: string): string {
  return sha256Hex(`${deviceKey}:${normaliseTokenCode(tokenCode)}`);
}

/** A device key for admins who do not choose one (seed 004's `device-abc12345`). */
export function newDeviceKey(): string {
  return `device-${randomBytes(4).toString('hex')}`;
}
