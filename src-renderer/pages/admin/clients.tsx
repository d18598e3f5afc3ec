/**
 * Admin → clients and quotas: create a client with a quota; per client, a top-up field that accepts only what it
 * does (a whole number of copies to add, 1 or more), and reduce, rename and delete as separate actions, each
 * confirmed first (reducing and deleting cannot be undone by the same field).
 */
import { useId, useState } from 'react';
import { useAction, useApi, useQuery } from '../../api/context.js';
import type { AdminClient } from '../../api/types.js';
import { Busy } from '../../components/busy.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { ErrorMessage } from '../../components/error-message.js';
import { QuotaBar } from '../../components/quota-bar.js';

/** A whole number of copies, 1 or more, or null. */
function positive(raw: string | undefined): number | null {
  if (!raw || !/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 1 ? n : null;
}

type Pending =
  | { kind: 'reduce'; client: AdminClient; by: number }
  | { kind: 'rename'; client: AdminClient; name: string }
  | { kind: 'delete'; client: AdminClient };

function confirmText(p: Pending): { title: string; message: string; label: string } {
  switch (p.kind) {
    case 'reduce':
      return {
        title: `Reduce ${p.client.name}'s quota?`,
        message: `${p.by} copies will be taken away: ${p.client.name} will have ${p.client.remaining - p.by} left. Stations refuse copies beyond that.`,
        label: `Take ${p.by} away`,
      };
    case 'rename':
      return {
        title: `Rename ${p.client.name}?`,
        message: `It will be called "${p.name}" on every station and in the copy history.`,
        label: 'Rename',
      };
    case 'delete':
      return {
        title: `Delete ${p.client.name}?`,
        message:
          'Stations can no longer bill copies to it. Only a client nothing was billed to can be deleted; one with copies stays so their history keeps its name.',
        label: 'Delete client',
      };
  }
}

export function AdminClients() {
  const api = useApi();
  const nameId = useId();
  const quotaId = useId();
  const list = useQuery(() => api.admin.clients.list(), { eventTypes: ['realtime'] });
  const [name, setName] = useState('');
  const [quota, setQuota] = useState('100');
  const [topUps, setTopUps] = useState<Record<number, string>>({});
  const [reduces, setReduces] = useState<Record<number, string>>({});
  const [renames, setRenames] = useState<Record<number, string>>({});
  const [pending, setPending] = useState<Pending | null>(null);
  const [create, createState] = useAction((n: string, q: number) =>
    api.admin.clients.create({ name: n, quota: q }),
  );
  const [topUp, topUpState] = useAction((id: number, add: number) => api.admin.clients.topUp({ id, add }));
  const [change, changeState] = useAction(async (p: Pending) => {
    switch (p.kind) {
      case 'reduce':
        return api.admin.clients.reduce({ id: p.client.id, by: p.by });
      case 'rename':
        return api.admin.clients.rename({ id: p.client.id, name: p.name });
      case 'delete':
        return api.admin.clients.delete({ id: p.client.id });
    }
  });

  const onCreate = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await create(name.trim(), Number(quota));
    if (r.ok) setName('');
    await list.reload();
  };
  const onTopUp = async (id: number) => {
    const add = positive(topUps[id]);
    if (add === null) return;
    const r = await topUp(id, add);
    if (r.ok) setTopUps((t) => ({ ...t, [id]: '' }));
    await list.reload();
  };
  const onConfirm = async () => {
    if (!pending) return;
    const p = pending;
    setPending(null);
    const r = await change(p);
    if (r.ok && p.kind === 'reduce') setReduces((t) => ({ ...t, [p.client.id]: '' }));
    if (r.ok && p.kind === 'rename') setRenames((t) => ({ ...t, [p.client.id]: '' }));
    await list.reload();
  };
  const clients = list.data?.clients ?? [];
  const dialog = pending ? confirmText(pending) : null;

  return (
    <div className="card" aria-labelledby="adm-cl-title">
      <h3 id="adm-cl-title">Clients and quotas</h3>
      <form className="row wrap form" onSubmit={onCreate} aria-label="Create a client">
        <div className="field grow">
          <label htmlFor={nameId}>Client name</label>
          <input id={nameId} value={name} required onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={quotaId}>Quota</label>
          <input
            id={quotaId}
            inputMode="numeric"
            value={quota}
            onChange={(e) => setQuota(e.target.value.replace(/\D/g, ''))}
          />
        </div>
        <button
          type="submit"
          className="primary"
          disabled={createState.pending || !name.trim() || quota === ''}
        >
          Create client
        </button>
      </form>
      <div aria-live="polite">
        {(createState.pending || topUpState.pending || changeState.pending) && <Busy label="Saving" />}
      </div>
      <ErrorMessage error={createState.error} title="Client not created" />
      <ErrorMessage error={topUpState.error} title="Quota not topped up" />
      <ErrorMessage error={changeState.error} title="Client not changed" />
      <ErrorMessage error={list.error} title="Could not list clients" />
      {clients.map((c) => {
        const add = positive(topUps[c.id]);
        const by = positive(reduces[c.id]);
        const newName = (renames[c.id] ?? '').trim();
        return (
          <div key={c.id} className="client-row" data-testid={`client-row-${c.id}`}>
            <QuotaBar
              quota={{
                client_id: c.id,
                name: c.name,
                remaining: c.remaining,
                total: c.quota,
                updated_at: null,
              }}
            />
            <div className="row wrap">
              <label htmlFor={`topup-${c.id}`}>Add copies to {c.name}</label>
              <input
                id={`topup-${c.id}`}
                className="narrow"
                inputMode="numeric"
                aria-describedby={`topup-hint-${c.id}`}
                value={topUps[c.id] ?? ''}
                onChange={(e) => setTopUps((t) => ({ ...t, [c.id]: e.target.value.replace(/\D/g, '') }))}
              />
              <button type="button" disabled={add === null} onClick={() => void onTopUp(c.id)}>
                Top up
              </button>
              <span id={`topup-hint-${c.id}`} className="muted">
                A whole number of copies to add, 1 or more.
              </span>
            </div>
            <div className="row wrap">
              <label htmlFor={`reduce-${c.id}`}>Take copies away</label>
              <input
                id={`reduce-${c.id}`}
                className="narrow"
                inputMode="numeric"
                value={reduces[c.id] ?? ''}
                onChange={(e) => setReduces((t) => ({ ...t, [c.id]: e.target.value.replace(/\D/g, '') }))}
              />
              <button
                type="button"
                disabled={by === null || by > c.remaining}
                onClick={() => by !== null && setPending({ kind: 'reduce', client: c, by })}
              >
                Reduce…
              </button>
              {by !== null && by > c.remaining && (
                <span className="text-bad">Only {c.remaining} left to take away.</span>
              )}
            </div>
            <div className="row wrap">
              <label htmlFor={`rename-${c.id}`}>New name</label>
              <input
                id={`rename-${c.id}`}
                value={renames[c.id] ?? ''}
                onChange={(e) => setRenames((t) => ({ ...t, [c.id]: e.target.value }))}
              />
              <button
                type="button"
                disabled={!newName || newName === c.name}
                onClick={() => setPending({ kind: 'rename', client: c, name: newName })}
              >
                Rename…
              </button>
              <button
                type="button"
                className="danger"
                onClick={() => setPending({ kind: 'delete', client: c })}
              >
                Delete {c.name}…
              </button>
            </div>
          </div>
        );
      })}
      <ConfirmDialog
        open={dialog !== null}
        title={dialog?.title ?? ''}
        message={dialog?.message ?? ''}
        confirmLabel={dialog?.label ?? ''}
        onConfirm={() => void onConfirm()}
        onCancel={() => setPending(null)}
      />
    </div>
  );
}
