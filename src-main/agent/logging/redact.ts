/**
 * Secret scrubbing for log records. Two nets, because one is never enough:
 *  - by key: any property whose name looks like a secret (secret, token, password, authorization, cookie,
 *    api key, private key, jwt) is replaced, at any depth;
 *  - by value: any string that contains a bearer credential (`Bearer xxx`, `Basic xxx`) or a JWT is censored,
 *    so a secret that slipped into a message or an error text still never reaches the file.
 * Errors are flattened to {type, message, code, status, stack} first: an AxiosError's enumerable `config`
 * carries the Authorization header, so we never let a serializer walk it.
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /(secret|token|passw|pwd|authorization|cookie|api[-_]?key|private[-_]?key|jwt|credential|token_code)/i;
// Keys that contain a secret-looking word but hold no secret (counts, flags, public identifiers).
const SAFE_KEY = /^(token_count|tokens_used|has_.*|.*_at|.*_ms|backend|secrets_backend|key_path)$/i;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

export function scrubString(s: string): string {
  if (s.length < 8) return s;
  return s.replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`).replace(JWT, REDACTED);
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !SAFE_KEY.test(key);
}

/** Returns a scrubbed deep copy (depth-limited, cycle-safe). */
export function scrub(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[depth]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) return scrubError(value, depth, seen);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1, seen));
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      isSecretKey(k) && v !== null && v !== undefined && typeof v !== 'boolean'
        ? REDACTED
        : scrub(v, depth + 1, seen);
  }
  return out;
}

function scrubError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const e = err as Error & {
    code?: unknown;
    status?: unknown;
    response?: { status?: unknown };
    cause?: unknown;
  };
  const out: Record<string, unknown> = { type: err.name, message: scrubString(err.message) };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  const status = typeof e.status === 'number' ? e.status : e.response?.status;
  if (typeof status === 'number') out.status = status;
  if (err.stack) out.stack = scrubString(err.stack);
  if (e.cause !== undefined) out.cause = scrub(e.cause, depth + 1, seen);
  return out;
}
