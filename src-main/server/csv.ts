/**
 * CSV for spreadsheets, the one encoder of every CSV the server answers (device export, audit export, bulk
 * enrollment): RFC 4180 quoting (a field with a comma, quote or line break is quoted, quotes doubled), CRLF line
 * ends, and formula injection defused: a cell that starts with = + - @ (or a tab or carriage return, which some
 * spreadsheets skip before reading a formula) is prefixed with ' so it opens as text, not as a formula (OWASP's
 * advice). Objects are written as their JSON.
 */
export function csvCell(value: unknown): string {
  let s =
    value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line, CRLF-terminated. */
export function csvLine(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
