/** The live feed: the newest agent events (realtime, sync progress, status changes) as sentences, newest first. */
import { useEventLog } from '../../api/event-log.js';
import { formatClock, machineTime } from '../../lib/format.js';

export function EventFeed() {
  const entries = useEventLog();
  return (
    <div className="card" aria-labelledby="feed-title">
      <h3 id="feed-title">Live events</h3>
      {entries.length === 0 ? (
        <p className="muted">No events yet.</p>
      ) : (
        <ol className="feed" role="log" aria-live="polite" aria-relevant="additions" data-testid="event-feed">
          {entries.map((x) => (
            <li key={x.id}>
              <time dateTime={machineTime(x.at)}>{formatClock(x.at)}</time> <span>{x.text}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
