/**
 * Second guard (the first is the stripping output schemas): no value under a secret-looking key ever leaves
 * main. An answer that has one is refused as a whole, because a secret in an answer means a bug to fix, not a
 * field to hide.
 */
const SECRET_KEY =
  /(secret|password|passwd|jwt|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|authorization|private[_-]?key|^token$|^cookie$)/i;

/** Keys that look secret but only name where secrets live. */
const NOT_SECRET = new Set(['secret_backend']);

export function isSecretKey(key: string): boolean {
  return !NOT_SECRET.has(key) && SECRET_KEY.test(key);
}

/** Path of the first secret-looking key holding a non-empty value, or null. */
export function findSecretKey(value: unknown, path = '', depth = 0): string | null {
  if (depth > 20 || value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findSecretKey(value[i], `${path}[${i}]`, depth + 1);
      if (hit) return hit;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const here = path ? `${path}.${k}` : k;
    if (isSecretKey(k) && v !== null && v !== undefined && v !== '' && typeof v !== 'boolean') return here;
    const hit = findSecretKey(v, here, depth + 1);
    if (hit) return hit;
  }
  return null;
}

/** Copy without secret-looking keys, for free-form data (realtime event payloads). */
export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!isSecretKey(k)) out[k] = withoutSecrets(v, depth + 1);
  }
  return out;
}
