/**
 * The offline queue: counts per state and the failed operations with their reasons in words and the client's
 * name (retry / dismiss). Dismissing asks first, says the copy will not be billed, and can be undone until
 * the next sync (the agent refuses an undo after that).
 */
import { useEffect, useState } from 'react';
import { useAction, useApi } from '../../api/context.js';
import type { QueueCounts, QueueItem, Quota } from '../../api/types.js';
import { Busy } from '../../components/busy.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatTime } from '../../lib/format.js';
import { clientName, reasonInWords } from '../../lib/op-reasons.js';
import { DataTable } from '../../components/data-table.js';

interface Dismissed {
  uuid: string;
  label: string;
}

export function QueuePanel(props: {
  counts: QueueCounts;
  failed: QueueItem[];
  quotas: Quota[];
  /** Changes when a sync has run: the end of the undo window. */
  syncMarker: string | null;
  onChanged: () => void;
}) {
  const api = useApi();
  const [retry, retryState] = useAction((uuid: string) => api.station.retry({ uuid }));
  const [dismiss, dismissState] = useAction((uuid: string) => api.station.dismiss({ uuid }));
  const [undo, undoState] = useAction((uuid: string) => api.station.undoDismiss({ uuid }));
  const [confirming, setConfirming] = useState<QueueItem | null>(null);
  const [dismissed, setDismissed] = useState<Dismissed[]>([]);
  const { counts, failed, quotas, syncMarker } = props;

  useEffect(() => setDismissed([]), [syncMarker]);

  const label = (item: QueueItem) =>
    `copy of card ${item.uid ?? item.uuid} for ${clientName(item.client_id, quotas)}`;

  const onRetry = async (uuid: string) => {
    await retry(uuid);
    props.onChanged();
  };
  const onDismiss = async () => {
    const item = confirming;
    setConfirming(null);
    if (!item) return;
    const r = await dismiss(item.uuid);
    if (r.ok) setDismissed((d) => [...d, { uuid: item.uuid, label: label(item) }]);
    props.onChanged();
  };
  const onUndo = async (uuid: string) => {
    const r = await undo(uuid);
    // Refused after a sync: the entry goes either way, the error says why.
    setDismissed((d) => d.filter((x) => x.uuid !== uuid));
    if (r.ok) props.onChanged();
  };

  return (
    <div className="card" aria-labelledby="queue-title">
      <h3 id="queue-title">Offline queue</h3>
      <dl className="counts" aria-live="polite">
        <div>
          <dt>Pending</dt>
          <dd data-testid="queue-pending">{counts.pending}</dd>
        </div>
        <div>
          <dt>Synced</dt>
          <dd data-testid="queue-synced">{counts.synced}</dd>
        </div>
        <div>
          <dt>Failed</dt>
          <dd data-testid="queue-failed" className={counts.failed > 0 ? 'text-bad' : undefined}>
            {counts.failed}
          </dd>
        </div>
      </dl>
      {(retryState.pending || dismissState.pending || undoState.pending) && (
        <Busy label="Updating the queue" />
      )}
      <ErrorMessage
        error={retryState.error ?? dismissState.error ?? undoState.error}
        title="Queue action failed"
      />
      {dismissed.length > 0 && (
        <ul className="dismissed" aria-live="polite" data-testid="dismissed">
          {dismissed.map((d) => (
            <li key={d.uuid}>
              Dismissed the {d.label}: it will not be sent or billed.{' '}
              <button type="button" onClick={() => void onUndo(d.uuid)}>
                Undo
              </button>{' '}
              <span className="muted">(until the next sync)</span>
            </li>
          ))}
        </ul>
      )}
      {failed.length > 0 && (
        <DataTable>
          <caption>Failed operations</caption>
          <thead>
            <tr>
              <th scope="col">Card</th>
              <th scope="col">Client</th>
              <th scope="col">When</th>
              <th scope="col">Reason</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {failed.map((item) => (
              <tr key={item.uuid}>
                <td>{item.uid ?? '—'}</td>
                <td>{clientName(item.client_id, quotas)}</td>
                <td>{formatTime(item.created_at)}</td>
                <td title={item.error ?? undefined}>{reasonInWords(item.error)}</td>
                <td>
                  <div className="row">
                    <button
                      type="button"
                      aria-label={`Retry ${item.uid ?? item.uuid}`}
                      onClick={() => void onRetry(item.uuid)}
                    >
                      Retry
                    </button>
                    <button
                      type="button"
                      aria-label={`Dismiss ${item.uid ?? item.uuid}`}
                      onClick={() => setConfirming(item)}
                    >
                      Dismiss
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      )}
      <ConfirmDialog
        open={confirming !== null}
        title="Dismiss this failed copy?"
        message={
          confirming
            ? `The ${label(confirming)} will not be sent to the server, so it will not be billed. You can undo this until the next sync.`
            : ''
        }
        confirmLabel="Dismiss copy"
        onConfirm={() => void onDismiss()}
        onCancel={() => setConfirming(null)}
      />
    </div>
  );
}
