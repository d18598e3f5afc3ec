/**
 * Reads a JWT's `exp` without verifying it: the station only needs to know when to refresh; the server is the
 * one that verifies. Returns null for anything that is not a three-part token with a numeric exp.
 */
export function tokenExpiry(token: string): Date | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null;
  } catch {
    return null;
  }
}
