/** Admin → clients and quotas: create a client with a quota, top one up. */
import { useId, useState } from 'react';
import { useAction, useApi, useQuery } from '../../api/context.js';
import { Busy } from '../../components/busy.js';
import { ErrorMessage } from '../../components/error-message.js';
import { QuotaBar } from '../../components/quota-bar.js';

export function AdminClients() {
  const api = useApi();
  const nameId = useId();
  const quotaId = useId();
  const list = useQuery(() => api.admin.clients.list(), { eventTypes: ['realtime'] });
  const [name, setName] = useState('');
  const [quota, setQuota] = useState('100');
  const [topUps, setTopUps] = useState<Record<number, string>>({});
  const [create, createState] = useAction((n: string, q: number) =>
    api.admin.clients.create({ name: n, quota: q }),
  );
  const [topUp, topUpState] = useAction((id: number, add: number) => api.admin.clients.topUp({ id, add }));

  const onCreate = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await create(name.trim(), Number(quota));
    if (r.ok) setName('');
    await list.reload();
  };
  const onTopUp = async (id: number) => {
    const add = Number(topUps[id] ?? '');
    if (!Number.isInteger(add) || add <= 0) return;
    const r = await topUp(id, add);
    if (r.ok) setTopUps((t) => ({ ...t, [id]: '' }));
    await list.reload();
  };
  const clients = list.data?.clients ?? [];

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
      <div aria-live="polite">{(createState.pending || topUpState.pending) && <Busy label="Saving" />}</div>
      <ErrorMessage error={createState.error} title="Client not created" />
      <ErrorMessage error={topUpState.error} title="Quota not topped up" />
      <ErrorMessage error={list.error} title="Could not list clients" />
      {clients.map((c) => (
        <div key={c.id} className="client-row">
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
              value={topUps[c.id] ?? ''}
              onChange={(e) => setTopUps((t) => ({ ...t, [c.id]: e.target.value.replace(/\D/g, '') }))}
            />
            <button type="button" disabled={!topUps[c.id]} onClick={() => void onTopUp(c.id)}>
              Top up
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
