/**
 * Secret scrubbing for audit details, as the agent's logger does it (the server cannot import the agent): by key,
 * any property whose name looks like a secret is replaced at any depth; by value, a bearer credential or a JWT
 * inside any string is censored. Applied before the event is logged and before it is stored, so a caller that
 * slips a secret into `details` leaks it to neither.
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /(secret|token|passw|pwd|authorization|cookie|api[-_]?key$|^key$|private[-_]?key|jwt|credential)/i;
// Keys with a secret-looking word that hold no secret (counts, flags, times, public names).
const SAFE_KEY = /^(token_count|tokens_used|token_ttl_sec|has_.*|.*_at|.*_ms|.*_sec|api_key_name)$/i;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

export function scrubString(s: string): string {
  if (s.length < 8) return s;
  return s.replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`).replace(JWT, REDACTED);
}

const isSecretKey = (key: string) => SECRET_KEY.test(key) && !SAFE_KEY.test(key);

/** A scrubbed deep copy (depth-limited, cycle-safe). */
export function scrub(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[depth]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1, seen));
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      isSecretKey(k) && v !== null && v !== undefined && typeof v !== 'boolean'
        ? REDACTED
        : scrub(v, depth + 1, seen);
  }
  return out;
}
