/** LIKE pattern matching `term` literally anywhere: `\`, `%` and `_` are escaped (used with ESCAPE '\'). */
export function containsPattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
