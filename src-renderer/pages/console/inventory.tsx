/**
 * The device inventory: one server-side page at a time (the table never holds more than the page, so 100,000
 * devices cost what 50 do), search debounced, filter/sort/page in the URL hash so reload and Back keep them,
 * and a CSV export of the whole filter written by the server.
 */
import { useEffect, useId, useState } from 'react';
import { useAction, useApi, useQuery } from '../../api/context.js';
import type { InventoryQuery } from '../../../src-shared/ipc/channels.js';
import { Badge } from '../../components/badge.js';
import { Busy } from '../../components/busy.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { consoleHref, navigate } from '../../lib/console-route.js';
import { downloadText } from '../../lib/download.js';
import { formatTime } from '../../lib/format.js';

const SEARCH_DEBOUNCE_MS = 300;

export const STATE_LABEL = {
  online: 'online',
  offline: 'offline',
  never: 'never registered',
  revoked: 'revoked',
} as const;
const STATE_TONE = { online: 'ok', offline: 'bad', never: 'warn', revoked: 'neutral' } as const;

export function StateBadge({ state }: { state: keyof typeof STATE_LABEL }) {
  return <Badge tone={STATE_TONE[state]}>{STATE_LABEL[state]}</Badge>;
}

export function InventoryPage({ query }: { query: InventoryQuery }) {
  const api = useApi();
  const ids = { search: useId(), state: useId(), group: useId(), sort: useId() };
  const key = JSON.stringify(query);
  const list = useQuery(() => api.admin.inventory.list(query), { deps: [key] });
  const groups = useQuery(() => api.admin.groups.list());
  const [search, setSearch] = useState(query.search ?? '');
  const [exportCsv, exportState] = useAction(() => {
    const { page: _p, limit: _l, ...filter } = query;
    return api.admin.inventory.exportCsv(filter);
  });

  // The box follows the URL (Back, a link) …
  useEffect(() => setSearch(query.search ?? ''), [query.search]);
  // … and the URL follows the box once typing pauses: one request and one Back step per pause, not per key.
  useEffect(() => {
    if (search === (query.search ?? '')) return;
    const t = setTimeout(
      () =>
        navigate(
          consoleHref('devices', { query: { ...query, search: search || undefined, page: undefined } }),
        ),
      SEARCH_DEBOUNCE_MS,
    );
    return () => clearTimeout(t);
  }, [search, key]);

  const go = (patch: Partial<InventoryQuery>) =>
    navigate(consoleHref('devices', { query: { ...query, page: undefined, ...patch } }));

  const data = list.data;
  const page = data?.pagination.page ?? query.page ?? 1;
  const totalPages = data?.pagination.totalPages ?? 1;
  const sort = query.sort ?? 'last_seen';
  const order = query.order ?? 'desc';

  const onExport = async () => {
    const r = await exportCsv();
    if (r.ok) downloadText('devices.csv', r.value.csv);
  };

  return (
    <div className="card" aria-labelledby="inv-title">
      <h3 id="inv-title">
        Devices{' '}
        {data && (
          <span className="muted" data-testid="inventory-total">
            ({data.pagination.total} matching)
          </span>
        )}
      </h3>
      <div className="row wrap form" role="search" aria-label="Filter devices">
        <div className="field grow">
          <label htmlFor={ids.search}>Search devices</label>
          <input
            id={ids.search}
            type="search"
            value={search}
            placeholder="key, note, IP, MAC or hostname"
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.state}>State</label>
          <select
            id={ids.state}
            value={query.state ?? ''}
            onChange={(e) => go({ state: (e.target.value || undefined) as InventoryQuery['state'] })}
          >
            <option value="">Any</option>
            {Object.entries(STATE_LABEL).map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.group}>Group</label>
          <select
            id={ids.group}
            value={query.group ?? ''}
            onChange={(e) => go({ group: e.target.value ? Number(e.target.value) : undefined })}
          >
            <option value="">Any</option>
            {(groups.data?.groups ?? []).map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.sort}>Sort by</label>
          <select
            id={ids.sort}
            value={`${sort}:${order}`}
            onChange={(e) => {
              const [s, o] = e.target.value.split(':') as [InventoryQuery['sort'], InventoryQuery['order']];
              go({ sort: s, order: o });
            }}
          >
            <option value="last_seen:desc">Last seen, newest first</option>
            <option value="last_seen:asc">Last seen, oldest first</option>
            <option value="device_key:asc">Device key, A–Z</option>
            <option value="device_key:desc">Device key, Z–A</option>
            <option value="created_at:desc">Created, newest first</option>
            <option value="created_at:asc">Created, oldest first</option>
          </select>
        </div>
        <button type="button" disabled={exportState.pending} onClick={() => void onExport()}>
          Export CSV
        </button>
      </div>
      <div aria-live="polite">
        {exportState.pending && <Busy label="Exporting" />}
        {exportState.value && <p role="status">Exported {exportState.value.rows} devices to devices.csv.</p>}
      </div>
      <ErrorMessage error={exportState.error} title="Export failed" />
      <ErrorMessage error={list.error} title="Could not list devices" />
      {list.loading && !data && <Busy label="Loading devices" />}
      {data && data.devices.length === 0 && (
        <p className="muted" data-testid="inventory-empty">
          {query.search || query.state || query.group ? 'No device matches this filter.' : 'No devices yet.'}
        </p>
      )}
      {data && data.devices.length > 0 && (
        <DataTable aria-busy={list.loading}>
          <caption className="sr-only">
            Devices, page {page} of {totalPages}
          </caption>
          <thead>
            <tr>
              <th scope="col">Device key</th>
              <th scope="col">State</th>
              <th scope="col">Group</th>
              <th scope="col">Last seen</th>
              <th scope="col">IP</th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            {data.devices.map((d) => (
              <tr key={d.device_key} data-testid={`inventory-row-${d.device_key}`}>
                <td>
                  <a href={consoleHref('device', { key: d.device_key })}>{d.device_key}</a>
                </td>
                <td>
                  <StateBadge state={d.state} />
                </td>
                <td>{d.group.name}</td>
                <td>{formatTime(d.last_seen)}</td>
                <td>{d.ip_address ?? ''}</td>
                <td>{d.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      )}
      {data && totalPages > 1 && (
        <nav className="row" aria-label="Pages">
          <button type="button" disabled={page <= 1} onClick={() => go({ page: page - 1 })}>
            Previous page
          </button>
          <span data-testid="inventory-page">
            Page {page} of {totalPages}
          </span>
          <button type="button" disabled={page >= totalPages} onClick={() => go({ page: page + 1 })}>
            Next page
          </button>
        </nav>
      )}
    </div>
  );
}
