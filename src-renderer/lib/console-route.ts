/**
 * The console's place lives in the URL hash (`#/admin/devices?state=online&page=2`,
 * `#/admin/device/kiosk-1`), so a reload, a bookmark or Back brings the operator to the same filtered page.
 * Every change pushes a history entry (the search box only once typing pauses, not per keystroke).
 */
import { useEffect, useState } from 'react';
import type { InventoryQuery } from '../../src-shared/ipc/channels.js';

export type ConsoleView = 'overview' | 'devices' | 'device' | 'groups';

export interface ConsoleRoute {
  view: ConsoleView;
  /** The device of the device page. */
  key?: string;
  query: InventoryQuery;
}

const ROUTE_EVENT = 'outpost:route';
const STATES = ['online', 'offline', 'never', 'revoked'] as const;
const SORTS = ['last_seen', 'device_key', 'created_at'] as const;

const pick = <T extends string>(all: readonly T[], v: string | null): T | undefined =>
  all.find((x) => x === v);

function int(v: string | null, max: number): number | undefined {
  if (!v || !/^\d{1,7}$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 && n <= max ? n : undefined;
}

export function parseConsoleRoute(hash: string): ConsoleRoute {
  const h = hash.replace(/^#\/?/, '');
  const [path = '', qs = ''] = h.split('?', 2);
  const parts = path.split('/');
  const p = new URLSearchParams(qs);
  const query: InventoryQuery = {
    search: p.get('search') || undefined,
    state: pick(STATES, p.get('state')),
    group: int(p.get('group'), 2 ** 31),
    sort: pick(SORTS, p.get('sort')),
    order: pick(['asc', 'desc'] as const, p.get('order')),
    page: int(p.get('page'), 1_000_000),
    limit: int(p.get('limit'), 100),
  };
  for (const k of Object.keys(query) as (keyof InventoryQuery)[]) if (query[k] === undefined) delete query[k];
  const sub = parts[1];
  if (sub === 'device' && parts[2]) return { view: 'device', key: decodeURIComponent(parts[2]), query };
  if (sub === 'devices' || sub === 'groups') return { view: sub, query };
  return { view: 'overview', query };
}

export function consoleHref(view: ConsoleView, opts: { key?: string; query?: InventoryQuery } = {}): string {
  if (view === 'device') return `#/admin/device/${encodeURIComponent(opts.key ?? '')}`;
  const base = view === 'overview' ? '#/admin' : `#/admin/${view}`;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') p.set(k, String(v));
  return p.size ? `${base}?${p}` : base;
}

export function navigate(href: string, opts: { replace?: boolean } = {}): void {
  if (location.hash === href) return;
  if (opts.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new Event(ROUTE_EVENT));
}

/** The current console route, following Back/Forward, links and navigate(). */
export function useConsoleRoute(): ConsoleRoute {
  const [route, setRoute] = useState(() => parseConsoleRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseConsoleRoute(location.hash));
    window.addEventListener('hashchange', on);
    window.addEventListener('popstate', on);
    window.addEventListener(ROUTE_EVENT, on);
    return () => {
      window.removeEventListener('hashchange', on);
      window.removeEventListener('popstate', on);
      window.removeEventListener(ROUTE_EVENT, on);
    };
  }, []);
  return route;
}
