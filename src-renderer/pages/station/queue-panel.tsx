/** The offline queue: counts per state and the failed operations with their reasons (retry / dismiss). */
import { useAction, useApi } from '../../api/context.js';
import type { QueueCounts, QueueItem } from '../../api/types.js';
import { Busy } from '../../components/busy.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatTime } from '../../lib/format.js';

export function QueuePanel(props: { counts: QueueCounts; failed: QueueItem[]; onChanged: () => void }) {
  const api = useApi();
  const [retry, retryState] = useAction((uuid: string) => api.station.retry({ uuid }));
  const [dismiss, dismissState] = useAction((uuid: string) => api.station.dismiss({ uuid }));
  const { counts, failed } = props;
  const act = async (fn: (uuid: string) => Promise<unknown>, uuid: string) => {
    await fn(uuid);
    props.onChanged();
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
      {(retryState.pending || dismissState.pending) && <Busy label="Updating the queue" />}
      <ErrorMessage error={retryState.error ?? dismissState.error} title="Queue action failed" />
      {failed.length > 0 && (
        <table className="table">
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
                <td>{item.client_id ?? '—'}</td>
                <td>{formatTime(item.created_at)}</td>
                <td>{item.error ?? 'unknown reason'}</td>
                <td>
                  <div className="row">
                    <button
                      type="button"
                      aria-label={`Retry ${item.uid ?? item.uuid}`}
                      onClick={() => void act(retry, item.uuid)}
                    >
                      Retry
                    </button>
                    <button
                      type="button"
                      aria-label={`Dismiss ${item.uid ?? item.uuid}`}
                      onClick={() => void act(dismiss, item.uuid)}
                    >
                      Dismiss
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
