import type { ErrorCode } from './errors.js';

/** What every agent API call returns across IPC or the web bridge: never a thrown error, never a secret. */
export type Result<T> =
  { ok: true; value: T } | { ok: false; error: { code: ErrorCode | string; message: string } };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode | string, message: string): Result<never> => ({
  ok: false,
  error: { code, message },
});
