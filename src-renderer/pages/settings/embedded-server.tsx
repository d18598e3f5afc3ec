/**
 * Embedded server: off / this machine only / LAN (explicit opt-in after a warning) and its port; its state in
 * words (a crash names the cause and when the supervisor tries again) and a Restart button.
 */
import { useEffect, useId, useState } from 'react';
import { useAction, useApi, useQuery } from '../../api/context.js';
import type { ServerStatus } from '../../api/types.js';
import { Badge } from '../../components/badge.js';
import { Busy } from '../../components/busy.js';
import { ErrorMessage } from '../../components/error-message.js';

type Mode = ServerStatus['mode'];

const MODES: { value: Mode; label: string }[] = [
  { value: 'off', label: 'Off (use a remote server)' },
  { value: 'local', label: 'On for this machine only (127.0.0.1)' },
  { value: 'lan', label: 'On for the local network (LAN)' },
];

export function EmbeddedServerSection() {
  const api = useApi();
  const status = useQuery(() => api.server.status(), { eventTypes: ['server.status'] });
  const [mode, setMode] = useState<Mode>('off');
  const [port, setPort] = useState('8080');
  const [lanOk, setLanOk] = useState(false);
  const [configure, state] = useAction((m: Mode, p: number, confirm: boolean) =>
    api.server.configure({ mode: m, port: p, confirm_lan: confirm || undefined }),
  );
  const [restart, restartState] = useAction(() => api.server.restart());
  const portId = useId();
  const lanId = useId();
  const s = status.data;
  useEffect(() => {
    if (s) {
      setMode(s.mode);
      setPort(String(s.port));
    }
  }, [s?.mode, s?.port]);

  const portNum = Number(port);
  const portOk = Number.isInteger(portNum) && portNum >= 1024 && portNum <= 65535;
  const onApply = async (e: React.FormEvent) => {
    e.preventDefault();
    await configure(mode, portNum, mode === 'lan' && lanOk);
    await status.reload();
  };

  return (
    <form className="card form" onSubmit={onApply} aria-labelledby="srv-title">
      <h3 id="srv-title">Embedded server</h3>
      <p aria-live="polite">
        {s ? (
          s.running ? (
            <>
              <Badge tone="ok">Running</Badge> <span className="muted">{s.url}</span>
              {s.agent_points_here && <span className="muted"> — this agent uses it</span>}
            </>
          ) : (
            <Badge tone="neutral">Not running</Badge>
          )
        ) : (
          status.loading && <Busy label="Loading" />
        )}
        {s?.last_error && (
          <span className="text-bad" data-testid="server-error">
            {' '}
            {s.last_error}
          </span>
        )}
      </p>
      {s && s.mode !== 'off' && (
        <p>
          <button
            type="button"
            disabled={restartState.pending || state.pending}
            onClick={() => void restart().then(() => status.reload())}
          >
            Restart the server
          </button>
          {restartState.pending && <Busy label="Restarting the server" />}
        </p>
      )}
      <ErrorMessage error={restartState.error} title="The server did not restart" />
      <fieldset>
        <legend>Mode</legend>
        {MODES.map((m) => (
          <div className="field checkbox" key={m.value}>
            <input
              type="radio"
              id={`srv-mode-${m.value}`}
              name="srv-mode"
              value={m.value}
              checked={mode === m.value}
              onChange={() => setMode(m.value)}
            />
            <label htmlFor={`srv-mode-${m.value}`}>{m.label}</label>
          </div>
        ))}
      </fieldset>
      {mode === 'lan' && (
        <div className="alert alert-warn" role="alert">
          <p>
            On the LAN, every machine on your network can reach this server. Only do this on a trusted
            network, and keep the admin API key secret.
          </p>
          <div className="field checkbox">
            <input id={lanId} type="checkbox" checked={lanOk} onChange={(e) => setLanOk(e.target.checked)} />
            <label htmlFor={lanId}>I understand: open the server to the local network</label>
          </div>
        </div>
      )}
      <div className="field">
        <label htmlFor={portId}>Port</label>
        <input
          id={portId}
          inputMode="numeric"
          value={port}
          disabled={mode === 'off'}
          onChange={(e) => setPort(e.target.value.replace(/\D/g, ''))}
        />
        {!portOk && mode !== 'off' && <span className="text-bad">Use a port between 1024 and 65535.</span>}
      </div>
      <button
        type="submit"
        className="primary"
        disabled={state.pending || (mode !== 'off' && !portOk) || (mode === 'lan' && !lanOk)}
      >
        Apply
      </button>
      {state.pending && <Busy label={mode === 'off' ? 'Stopping the server' : 'Starting the server'} />}
      <ErrorMessage error={state.error} title="Server not changed" />
      {status.error?.code === 'NOT_AVAILABLE' ? (
        <p className="muted">{status.error.message}</p>
      ) : (
        <ErrorMessage error={status.error} title="Could not read the server status" />
      )}
    </form>
  );
}
