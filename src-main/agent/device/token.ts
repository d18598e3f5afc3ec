/** Operator input checks done before any request, so a typo gets our clear message, not a server 401. */
import { randomBytes } from 'node:crypto';
import { DEVICE_KEY_PATTERN } from '../../../src-shared/api/devices.js';
import { AgentError } from '../errors.js';

/** Trim, drop inner spaces/dashes people type from printed codes, uppercase; exactly 6 hex characters. */
export function normalizeToken(raw: string): string {
  const token = String(raw ?? '')
    .trim()
    .replace(/[\s-]+/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{6}$/.test(token)) {
    const why =
      token.length === 0
        ? 'it is empty'
        : token.length !== 6
          ? `it has ${token.length} characters`
          : 'it contains characters other than 0-9 and A-F';
    throw new AgentError(
      'INVALID_TOKEN_FORMAT',
      `Invalid registration token: ${why}. A token is exactly 6 hexadecimal characters (e.g. ABC123); ask your administrator for one.`,
    );
  }
  return token;
}

export function normalizeDeviceKey(raw: string): string {
  const key = String(raw ?? '').trim();
  if (!DEVICE_KEY_PATTERN.test(key)) {
    throw new AgentError(
      'INVALID_DEVICE_KEY',
      'Invalid device key: use 3-64 characters of A-Z a-z 0-9 . _ - (as printed by the server when the device was created).',
    );
  }
  return key;
}

export function generateDeviceKey(): string {
  return `device-${randomBytes(4).toString('hex')}`;
}
