/**
 * Record a copy. Keyboard-wedge NFC readers "type" the card UID and press Enter, so the UID field keeps focus
 * after each copy and Enter submits: one tap = one recorded copy, no mouse needed.
 */
import { useId, useRef, useState } from 'react';
import { normaliseUid } from '../../../src-shared/codes.js';
import { useAction, useApi } from '../../api/context.js';
import type { Quota } from '../../api/types.js';
import { Busy } from '../../components/busy.js';
import { ErrorMessage } from '../../components/error-message.js';

/** Readers differ: "04:ab:12 cd" and "04AB12CD" are the same card (the agent normalises the same way). */
export const normalizeUid = normaliseUid;

export function CopyForm({ quotas, onRecorded }: { quotas: Quota[]; onRecorded: () => void }) {
  const api = useApi();
  const uidId = useId();
  const clientId = useId();
  const uidRef = useRef<HTMLInputElement>(null);
  const [uid, setUid] = useState('');
  const [client, setClient] = useState<string>('');
  const [last, setLast] = useState<string | null>(null);
  const [record, state] = useAction((c: number, u: string) =>
    api.station.recordCopy({ client_id: c, uid: u }),
  );
  const selected = client || (quotas[0] ? String(quotas[0].client_id) : '');

  const onSubmit = async (e: React.FormEvent) => {
    e.preventDefault();
    const u = normalizeUid(uid);
    const c = Number(selected);
    if (!u || !Number.isInteger(c) || c <= 0) return;
    setUid('');
    const r = await record(c, u);
    // Named as the client list names it; the id only when the station does not know the name.
    const name = quotas.find((q) => q.client_id === c)?.name;
    setLast(r.ok ? `Copy of card ${u} recorded for ${name || `client #${c}`}.` : null);
    onRecorded();
    uidRef.current?.focus();
  };

  return (
    <form className="card form" onSubmit={onSubmit} aria-label="Record a copy">
      <h3>Record a copy</h3>
      <div className="row wrap">
        <div className="field">
          <label htmlFor={clientId}>Client</label>
          {quotas.length > 0 ? (
            <select id={clientId} value={selected} onChange={(e) => setClient(e.target.value)}>
              {quotas.map((q) => (
                <option key={q.client_id} value={q.client_id}>
                  {q.name ? `${q.name} (#${q.client_id})` : `Client #${q.client_id}`} — {q.remaining} left
                </option>
              ))}
            </select>
          ) : (
            <input
              id={clientId}
              inputMode="numeric"
              value={client}
              placeholder="client id"
              onChange={(e) => setClient(e.target.value.replace(/\D/g, ''))}
            />
          )}
        </div>
        <div className="field grow">
          <label htmlFor={uidId}>Card UID (tap the card on the reader, or type it and press Enter)</label>
          <input
            id={uidId}
            ref={uidRef}
            value={uid}
            autoComplete="off"
            spellCheck={false}
            autoFocus
            onChange={(e) => setUid(e.target.value)}
          />
        </div>
        <button type="submit" className="primary" disabled={state.pending || !uid.trim() || !selected}>
          Record copy
        </button>
      </div>
      <div aria-live="polite">
        {state.pending && <Busy label="Recording" />}
        {last && !state.error && <p className="alert alert-ok">{last}</p>}
      </div>
      <ErrorMessage error={state.error} title="Copy not recorded" />
    </form>
  );
}
