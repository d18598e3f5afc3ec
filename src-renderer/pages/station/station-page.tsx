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
        <span className="muted">Last sync: {formatTime(s?.last_sync_at ?? null)}</span>
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
        <p className="muted">
          Offline: copies are stored on this machine and sync automatically when the server is reachable.
        </p>
      )}
      {syncState.value && !syncing && online && (
        <p className="alert alert-ok" role="status">
          Sync finished: {syncState.value.synced} synced, {syncState.value.failed} failed
          {syncState.value.quotas_updated ? ', quotas updated' : ''}.
        </p>
      )}
      {s?.last_error && !online && <p className="muted">Last error: {s.last_error}</p>}
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
        <QueuePanel counts={counts} failed={queue.data?.failed ?? []} onChanged={refreshAll} />
      </div>
      <EventFeed />
    </section>
  );
}
