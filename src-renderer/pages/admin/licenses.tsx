/** Admin → licenses: generate, list with search / status filter / pages, revoke. */
import { useId, useState } from 'react';
import { useAction, useApi, useQuery } from '../../api/context.js';
import { Badge } from '../../components/badge.js';
import { Busy } from '../../components/busy.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatTime } from '../../lib/format.js';
import { DataTable } from '../../components/data-table.js';
import { CopyValue } from '../../components/copy-value.js';

const STATUSES = ['generated', 'activated', 'active', 'expired', 'revoked'] as const;
type Status = (typeof STATUSES)[number];
const LIMIT = 10;

export function AdminLicenses() {
  const api = useApi();
  const ids = { days: useId(), desc: useId(), search: useId(), status: useId() };
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState('');
  const [appliedSearch, setAppliedSearch] = useState('');
  const [status, setStatus] = useState<Status | ''>('');
  const [days, setDays] = useState('365');
  const [desc, setDesc] = useState('');
  const [revoking, setRevoking] = useState<{ id: string; key: string } | null>(null);
  const list = useQuery(
    () =>
      api.admin.licenses.list({
        page,
        limit: LIMIT,
        search: appliedSearch || undefined,
        status: status || undefined,
      }),
    { deps: [page, appliedSearch, status] },
  );
  const [generate, genState] = useAction((d: number, s: string) =>
    api.admin.licenses.generate({ duration_days: d, description: s || undefined }),
  );
  const [revoke, revokeState] = useAction((id: string) => api.admin.licenses.revoke({ id }));

  const daysNum = Number(days);
  const daysOk = Number.isInteger(daysNum) && daysNum >= 1 && daysNum <= 3650;
  const onGenerate = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await generate(daysNum, desc.trim());
    if (r.ok) setDesc('');
    await list.reload();
  };
  const licenses = list.data?.licenses ?? [];
  const pg = list.data?.pagination;

  return (
    <div className="card" aria-labelledby="adm-lic-title">
      <h3 id="adm-lic-title">Licenses</h3>
      <form className="row wrap form" onSubmit={onGenerate} aria-label="Generate a license">
        <div className="field">
          <label htmlFor={ids.days}>Duration (days)</label>
          <input
            id={ids.days}
            inputMode="numeric"
            value={days}
            onChange={(e) => setDays(e.target.value.replace(/\D/g, ''))}
          />
        </div>
        <div className="field grow">
          <label htmlFor={ids.desc}>Description</label>
          <input id={ids.desc} value={desc} maxLength={500} onChange={(e) => setDesc(e.target.value)} />
        </div>
        <button type="submit" className="primary" disabled={!daysOk || genState.pending}>
          Generate license
        </button>
      </form>
      {!daysOk && <p className="text-bad">Duration: 1 to 3650 days.</p>}
      <div aria-live="polite">
        {genState.pending && <Busy label="Generating" />}
        {genState.value && (
          <p className="alert alert-ok">
            Generated <code data-testid="generated-license">{genState.value.license_key}</code>
          </p>
        )}
      </div>
      <ErrorMessage error={genState.error} title="License not generated" />

      <form
        className="row wrap form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setPage(1);
          setAppliedSearch(search.trim());
        }}
      >
        <div className="field grow">
          <label htmlFor={ids.search}>Search key or description</label>
          <input id={ids.search} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.status}>Status</label>
          <select
            id={ids.status}
            value={status}
            onChange={(e) => {
              setPage(1);
              setStatus(e.target.value as Status | '');
            }}
          >
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      <ErrorMessage error={list.error} title="Could not list licenses" />
      <ErrorMessage error={revokeState.error} title="License not revoked" />
      {list.loading && !list.data && <Busy label="Loading licenses" />}
      {list.data && licenses.length === 0 && <p className="muted">No licenses match.</p>}
      {licenses.length > 0 && (
        <DataTable>
          <caption className="sr-only">Licenses</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Status</th>
              <th scope="col">Days</th>
              <th scope="col">User</th>
              <th scope="col">Expires</th>
              <th scope="col">Description</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {licenses.map((l) => (
              <tr key={l.id}>
                <td>
                  <CopyValue value={l.license_key} what="license key" />
                </td>
                <td>
                  <Badge
                    tone={
                      l.status === 'revoked' || l.status === 'expired'
                        ? 'bad'
                        : l.status === 'generated'
                          ? 'neutral'
                          : 'ok'
                    }
                  >
                    {l.status}
                  </Badge>
                </td>
                <td>{l.duration_days}</td>
                <td>{l.user_email ?? ''}</td>
                <td>{l.expires_at ? formatTime(l.expires_at) : '—'}</td>
                <td>{l.description ?? ''}</td>
                <td>
                  {l.status !== 'revoked' && (
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Revoke ${l.license_key}`}
                      onClick={() => setRevoking({ id: l.id, key: l.license_key })}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      )}
      {pg && pg.totalPages > 1 && (
        <nav className="row" aria-label="License pages">
          <button type="button" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
            Previous
          </button>
          <span aria-live="polite">
            Page {pg.page} of {pg.totalPages} ({pg.total} licenses)
          </span>
          <button type="button" disabled={page >= pg.totalPages} onClick={() => setPage((p) => p + 1)}>
            Next
          </button>
        </nav>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this license?"
        message={`${revoking?.key ?? ''} stops working on every machine that uses it.`}
        confirmLabel="Revoke"
        onConfirm={() => {
          const r = revoking;
          setRevoking(null);
          if (r) void revoke(r.id).then(() => list.reload());
        }}
        onCancel={() => setRevoking(null)}
      />
    </div>
  );
}
