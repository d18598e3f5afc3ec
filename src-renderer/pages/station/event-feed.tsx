/** The live feed: the newest agent events (realtime messages, sync progress, status changes), newest first. */
import { useEventLog } from '../../api/event-log.js';
import type { AgentEvent } from '../../api/types.js';

/** One readable line per event; status events are summarised (the raw JSON is noise for an operator). */
export function describe(e: AgentEvent): string {
  switch (e.type) {
    case 'realtime':
      return `${e.data.event} ${short(e.data.data)}`;
    case 'station.status':
      return `Station ${e.data.online ? 'online' : 'offline'}: ${e.data.pending} pending, ${e.data.failed} failed${
        e.data.last_error ? ` (${e.data.last_error})` : ''
      }`;
    case 'station.sync-progress':
      return `Sync ${e.data.phase} ${e.data.done}/${e.data.total}${e.data.message ? `: ${e.data.message}` : ''}`;
    case 'device.status':
      return `Device ${e.data.registered ? 'registered' : 'not registered'}, heartbeat ${e.data.heartbeat}`;
    case 'license.status':
      return `License ${e.data.state}: ${e.data.message}`;
    case 'server.status':
      return `Embedded server ${e.data.running ? `running on ${e.data.url ?? '?'}` : 'stopped'}`;
    default:
      return `${e.type} ${short(e.data)}`;
  }
}

function short(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

export function describeForFeed(e: AgentEvent): string | null {
  return e.type === 'log' ? null : describe(e); // the log viewer shows those
}

export function EventFeed() {
  const entries = useEventLog(describeForFeed);
  return (
    <div className="card" aria-labelledby="feed-title">
      <h3 id="feed-title">Live events</h3>
      {entries.length === 0 ? (
        <p className="muted">No events yet.</p>
      ) : (
        <ol className="feed" role="log" aria-live="polite" aria-relevant="additions">
          {entries.map((x) => (
            <li key={x.id}>
              <time>{x.at}</time> <code>{x.text}</code>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
