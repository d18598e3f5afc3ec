/** The last 500 lines of logs/app.log with a level filter, new lines appended live from `log` events. */
import { useId, useState } from 'react';
import { useAction, useAgentEvents, useApi, useQuery } from '../../api/context.js';
import type { LogLevel, LogLine } from '../../api/types.js';
import { Busy } from '../../components/busy.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatClock, localZoneLabel } from '../../lib/format.js';

const LEVELS: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const MAX_LINES = 500;

export function LogViewer() {
  const api = useApi();
  const levelId = useId();
  const [level, setLevel] = useState<LogLevel>('info');
  const [live, setLive] = useState<LogLine[]>([]);
  const tail = useQuery(() => api.logs.tail({ lines: MAX_LINES, level }), { deps: [level] });
  const [openFolder, openState] = useAction(() => api.app.openLogsFolder());

  useAgentEvents((e) => {
    if (e.type !== 'log') return;
    if (LEVELS.indexOf(e.data.level) < LEVELS.indexOf(level)) return;
    setLive((prev) => [...prev, e.data].slice(-MAX_LINES));
  });

  const lines = [...(tail.data?.lines ?? []), ...live].slice(-MAX_LINES);

  return (
    <div className="card" aria-labelledby="logs-title">
      <h3 id="logs-title">Logs</h3>
      <div className="row wrap">
        <div className="field">
          <label htmlFor={levelId}>Minimum level</label>
          <select
            id={levelId}
            value={level}
            onChange={(e) => {
              setLive([]);
              setLevel(e.target.value as LogLevel);
            }}
          >
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          onClick={() => {
            setLive([]);
            void tail.reload();
          }}
        >
          Refresh
        </button>
        <button type="button" onClick={() => void openFolder()}>
          Open logs folder
        </button>
      </div>
      <div aria-live="polite">
        {openState.pending && <Busy label="Opening" />}
        {openState.value &&
          (openState.value.opened ? (
            <p className="muted">Opened {openState.value.path}</p>
          ) : (
            <p className="muted">
              This mode cannot open folders; the logs are in <code>{openState.value.path}</code>.
            </p>
          ))}
      </div>
      <ErrorMessage error={openState.error} title="Could not open the logs folder" />
      <ErrorMessage error={tail.error} title="Could not read the logs" />
      {tail.loading && !tail.data ? (
        <Busy label="Loading logs" />
      ) : lines.length === 0 ? (
        <p className="muted">No log lines at this level.</p>
      ) : (
        <pre className="logs" tabIndex={0} aria-label={`Last ${lines.length} log lines`}>
          {lines.map((l, i) => (
            <span key={i} className={`log-${l.level}`}>
              {formatClock(l.time)} {l.level.toUpperCase().padEnd(5)} {l.name ? `[${l.name}] ` : ''}
              {l.msg}
              {'\n'}
            </span>
          ))}
        </pre>
      )}
      {tail.data?.file && <p className="muted break">File: {tail.data.file}</p>}
      <p className="muted">Times are local ({localZoneLabel()}).</p>
    </div>
  );
}
