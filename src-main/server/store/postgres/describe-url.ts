/**
 * `database on host:port` from a connection URL, for start-up lines and errors: never its user or password.
 * Its own module so that the CLI can use it without loading the PostgreSQL driver on SQLite.
 */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${decodeURIComponent(u.pathname.slice(1)) || '(default database)'} on ${u.host || 'local socket'}`;
  } catch {
    return '(unparsable URL)';
  }
}
