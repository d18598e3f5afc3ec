/**
 * The NFC copy station (seed 001): online badge and last sync, quotas, the offline queue, Sync now with progress,
 * the copy form and the live event feed. Everything refreshes from agent events, so the page never needs a reload.
 */
import { useState } from 'react';
import { useAction, useAgentEvents, useApi, useQuery } from '../../api/context.js';
import type { Quota, SyncProgress } from '../../api/types.js';
import { Badge } from '../../components/badge.js';
import { Busy } from '../../components/busy.js';
import { ErrorMessage } from '../../components/error-message.js';
import { QuotaBar } from '../../components/quota-bar.js';
import { formatTime } from '../../lib/format.js';
import { failureSummary } from '../../lib/op-reasons.js';
import { CopyForm } from './copy-form.js';
import { EventFeed } from './event-feed.js';
import { LoginForm } from './login-form.js';
import { QueuePanel } from './queue-panel.js';

const PHASES: Record<string, string> = {
  push: 'sending queued copies',
  pull: 'updating quotas',
  done: 'done',
  error: 'failed',
};

const STATION_EVENTS = ['station.status', 'station.sync-progress', 'realtime'];

export function StationPage() {
  const api = useApi();
  // A slow poll backs up the events: the agent's online state can change without an event (e.g. a dead socket).
  const status = useQuery(() => api.station.status(), { eventTypes: STATION_EVENTS, intervalMs: 5000 });
  const queue = useQuery(() => api.station.queue(), { eventTypes: STATION_EVENTS, intervalMs: 5000 });
  const quotas = useQuery(() => api.station.quotas(), { eventTypes: STATION_EVENTS, intervalMs: 5000 });
  const [progress, setProgress] = useState<SyncProgress | null>(null);
  const [sync, syncState] = useAction(() => api.station.syncNow());

  useAgentEvents((e) => {
    if (e.type === 'station.sync-progress') setProgress(e.data);
  });

  const refreshAll = () => {
    void status.reload();
    void queue.reload();
    void quotas.reload();
  };

  const onSync = async () => {
    setProgress(null);
    await sync();
    refreshAll();
  };

  const s = status.data;
  const online = s?.online ?? false;
  const counts = queue.data?.counts ?? { pending: s?.pending ?? 0, synced: 0, failed: s?.failed ?? 0 };
  const quotaList: Quota[] = quotas.data?.quotas ?? [];
  const syncing = syncState.pending || s?.syncing === true;
  const failedItems = queue.data?.failed ?? [];
  const attempt = s?.last_attempt ?? null;
  const result = syncState.value;
  const resultTone = !result ? null : result.failed === 0 ? 'ok' : result.synced === 0 ? 'error' : 'warn';

  return (
    <section aria-labelledby="station-title">
      <h2 id="station-title">Copy station</h2>
      <div className="card row wrap" aria-live="polite">
        <span data-testid="online-badge">
          {!s ? (
            <Badge tone="neutral">Checking…</Badge>
          ) : online ? (
            <Badge tone="ok">Online</Badge>
          ) : (
            <Badge tone="bad">Offline</Badge>
          )}
        </span>
        <span className="muted" data-testid="last-sync">
          Last sync: {formatTime(s?.last_sync_at ?? null)}
          {attempt && !attempt.ok && <> (last attempt failed at {formatTime(attempt.finished_at)})</>}
        </span>
        {s?.username && <span className="muted">Logged in as {s.username}</span>}
        <span className="grow" />
        <button type="button" className="primary" disabled={syncing} onClick={() => void onSync()}>
          Sync now
        </button>
        {s?.logged_in && (
          <button type="button" onClick={() => void api.station.logout().then(refreshAll)}>
            Log out
          </button>
        )}
      </div>
      {syncing && (
        <Busy
          label={progress ? `Syncing: ${PHASES[progress.phase] ?? progress.phase}` : 'Syncing'}
          done={progress?.done}
          total={progress?.total}
        />
      )}
      {s && !online && !syncing && (
        <p className="muted" data-testid="offline-note">
          Offline: the server is not reachable
          {s.last_error ? ` (${s.last_error})` : ''}. Copies are stored on this machine and sync automatically
          when it is back.
        </p>
      )}
      {s && online && s.last_error && !syncing && !syncState.error && (
        <p className="muted">The last sync stopped early: {s.last_error}</p>
      )}
      {result && resultTone && !syncing && (
        <div className={`alert alert-${resultTone}`} role="status" data-testid="sync-result">
          <strong>
            {resultTone === 'ok'
              ? 'Sync finished'
              : resultTone === 'error'
                ? 'Sync failed'
                : 'Sync partly failed'}
            :
          </strong>{' '}
          {result.synced} synced, {result.failed} failed
          {result.quotas_updated ? ', quotas updated' : ''}.
          {result.failed > 0 && failedItems.length > 0 && (
            <ul className="reasons">
              {failureSummary(failedItems, quotaList).map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          )}
          {result.failed > 0 && (
            <div className="hint">
              The failed copies are listed under Failed operations: retry them once the cause is fixed, or
              dismiss them (a dismissed copy is not billed).
            </div>
          )}
        </div>
      )}
      <ErrorMessage error={syncState.error} title="Sync failed" />
      <ErrorMessage error={status.error} title="Could not read the station status" />

      {s && !s.logged_in && <LoginForm expired={s.login_needed} onLoggedIn={refreshAll} />}

      <CopyForm quotas={quotaList} onRecorded={refreshAll} />

      <div className="grid">
        <div className="card" aria-labelledby="quota-title">
          <h3 id="quota-title">Quotas</h3>
          <ErrorMessage error={quotas.error} title="Could not read quotas" />
          {quotaList.length === 0 ? (
            <p className="muted">No quotas yet: they arrive with the first sync.</p>
          ) : (
            quotaList.map((q) => <QuotaBar key={q.client_id} quota={q} />)
          )}
        </div>
        <QueuePanel
          counts={counts}
          failed={failedItems}
          quotas={quotaList}
          syncMarker={attempt?.finished_at ?? null}
          onChanged={refreshAll}
        />
      </div>
      <EventFeed />
    </section>
  );
}
