/**
 * What the signed-in role may do, mirroring the server's access levels (view: viewer and up; operate: operator
 * and admin; admin: admin). Only for hiding buttons: the server enforces every call. An unknown role (a pasted
 * key the server did not describe) shows the actions and lets the server answer.
 */
export type Level = 'view' | 'operate' | 'admin';

const RANK: Record<string, number> = { viewer: 1, station: 0, operator: 2, admin: 3 };
const NEED: Record<Level, number> = { view: 1, operate: 2, admin: 3 };

export function can(role: string | null | undefined, level: Level): boolean {
  if (role === null || role === undefined) return true;
  return (RANK[role] ?? 0) >= NEED[level];
}
