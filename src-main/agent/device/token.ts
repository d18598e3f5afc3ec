/** Operator input checks done before any request, so a typo gets our clear message, not a server 401. */
import { randomBytes } from 'node:crypto';
import { checkDeviceKey, checkTokenCode } from '../../../src-shared/codes.js';
import { AgentError } from '../errors.js';

/** The shared normaliser (`ab-cd-ef` → `ABCDEF`); exactly 6 hex characters remain or it is refused. */
export function normalizeToken(raw: string): string {
  const r = checkTokenCode(raw);
  if (!r.ok) {
    throw new AgentError(
      'INVALID_TOKEN_FORMAT',
      `Invalid registration token: ${r.reason}. A token is exactly 6 hexadecimal characters (e.g. ABC123); ask your administrator for one.`,
    );
  }
  return r.value;
}

export function normalizeDeviceKey(raw: string): string {
  const r = checkDeviceKey(raw);
  if (!r.ok) {
    throw new AgentError(
      'INVALID_DEVICE_KEY',
      'Invalid device key: use 3-64 characters of A-Z a-z 0-9 . _ - (as printed by the server when the device was created).',
    );
  }
  return r.value;
}

export function generateDeviceKey(): string {
  return `device-${randomBytes(4).toString('hex')}`;
}
