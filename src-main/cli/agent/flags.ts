/**
 * Checks of command-line values, each failing with a usage error (exit 2) that names the flag, so a typo is
 * answered with `--client must be a positive whole number`, not a message from deep inside a service.
 */
import { checkDeviceKey, checkTokenCode, checkUid } from '../../../src-shared/codes.js';
import { UsageError } from './command.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function raw(values: Values, flag: string): string | undefined {
  const v = values[flag];
  return typeof v === 'string' ? v : undefined;
}

/** A value the command cannot run without. */
export function required(values: Values, flag: string, what: string): string {
  const v = raw(values, flag);
  if (v === undefined || v.trim() === '') throw new UsageError(`--${flag} is required: ${what}`);
  return v;
}

export function positiveInt(values: Values, flag: string, what: string): number {
  const v = required(values, flag, what).trim();
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(`--${flag} must be a positive whole number (${what}), not '${v}'`);
  }
  return n;
}

export function port(values: Values, flag: string): number | undefined {
  const v = raw(values, flag);
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`--${flag} must be a port number from 0 to 65535, not '${v}'`);
  }
  return n;
}

export function tokenCode(values: Values, flag: string): string {
  const r = checkTokenCode(required(values, flag, 'the one-time registration token, 6 hex characters'));
  if (!r.ok)
    throw new UsageError(
      `--${flag} is not a registration token: ${r.reason} (6 hex characters, e.g. ABC123)`,
    );
  return r.value;
}

export function deviceKey(values: Values, flag: string): string | undefined {
  const v = raw(values, flag);
  if (v === undefined) return undefined;
  const r = checkDeviceKey(v);
  if (!r.ok) throw new UsageError(`--${flag} is not a device key: ${r.reason}`);
  return r.value;
}

export function uid(values: Values, flag: string): string {
  const r = checkUid(required(values, flag, 'the card UID in hex, as the reader prints it'));
  if (!r.ok) throw new UsageError(`--${flag}: ${r.reason}`);
  return r.value;
}

/** An http(s) base URL (`--server notaurl` is refused before anything is opened). */
export function httpUrl(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | null = null;
  try {
    url = new URL(value.trim());
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new UsageError(
      `--${flag} must be an http:// or https:// URL (e.g. http://127.0.0.1:8787), not '${value}'`,
    );
  }
  return value.trim();
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function logLevel(value: string | undefined, flag: string): string | undefined {
  if (value === undefined || LOG_LEVELS.includes(value)) return value;
  throw new UsageError(`--${flag} must be one of ${LOG_LEVELS.join(', ')}, not '${value}'`);
}
