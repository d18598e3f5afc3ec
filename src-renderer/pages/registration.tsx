/**
 * Device registration (seed 004): status, device key, one-time 6-character token, Register / Test Heartbeat /
 * Unregister, and the heartbeat indicator. Status refreshes on the agent's `device.status` events.
 */
import { normaliseTokenCode } from '../../src-shared/codes.js';
import { useEffect, useState } from 'react';
import { useAction, useApi, useQuery } from '../api/context.js';
import type { DeviceStatus } from '../api/types.js';
import { Badge } from '../components/badge.js';
import { Busy } from '../components/busy.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorMessage } from '../components/error-message.js';
import { deviceView, heartbeatView } from '../lib/device-state.js';
import { formatTime } from '../lib/format.js';

/** The shared normaliser (a pasted `ab-cd-ef` is `ABCDEF`), cut at the 6 characters the field holds. */
export function normalizeToken(raw: string): string {
  return normaliseTokenCode(raw).slice(0, 6);
}

export function RegistrationPage() {
  const api = useApi();
  const status = useQuery(() => api.device.status(), { eventTypes: ['device.status'] });
  const ownKey = useQuery(() => api.device.ownKey());
  const [deviceKey, setDeviceKey] = useState('');
  const [keyTouched, setKeyTouched] = useState(false);
  const [token, setToken] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  const [register, registerState] = useAction((t: string, k: string) =>
    api.device.register({ token: t, device_key: k || undefined }),
  );
  const [heartbeat, heartbeatState, resetHeartbeat] = useAction(() => api.device.heartbeatNow());
  const [unregister, unregisterState] = useAction(() => api.device.unregister());

  const s: DeviceStatus | null = status.data;
  const registered = s?.registered ?? false;

  // Prefill the key field with the agent's own key until the operator edits it.
  useEffect(() => {
    if (!keyTouched && ownKey.data) setDeviceKey(ownKey.data.device_key);
  }, [ownKey.data, keyTouched]);

  const onRegister = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await register(token, deviceKey.trim());
    if (r.ok) {
      setToken('');
      resetHeartbeat();
    }
    await status.reload();
  };

  const onUnregister = async () => {
    setConfirming(false);
    const r = await unregister();
    if (r.ok) {
      resetHeartbeat();
      setKeyTouched(false);
      await ownKey.reload();
    }
    await status.reload();
  };

  const onCopy = async () => {
    const key = s?.device_key ?? '';
    try {
      await navigator.clipboard.writeText(key);
      setCopied('Device key copied to the clipboard.');
    } catch {
      setCopied('Could not copy automatically: select the key and press Ctrl+C.');
    }
  };

  const tokenValid = /^[0-9A-F]{6}$/.test(token);
  const view = s ? deviceView(s) : null;
  const hb = s ? heartbeatView(s) : { ok: false, text: 'Heartbeat: Inactive' };

  return (
    <section aria-labelledby="reg-title">
      <h2 id="reg-title">Device registration</h2>
      {status.error && <ErrorMessage error={status.error} title="Could not read the device status" />}

      <div className="card">
        <p className="status-line" aria-live="polite" data-testid="registration-status">
          Status:{' '}
          {status.loading && !s ? (
            <Busy label="Loading" />
          ) : (
            view && <Badge tone={view.tone}>{view.label}</Badge>
          )}
          {view?.tone === 'ok' && s?.registered_at && (
            <span className="muted"> since {formatTime(s.registered_at)}</span>
          )}
        </p>
        <p className="status-line" aria-live="polite" data-testid="heartbeat-status">
          <span className={hb.ok ? 'text-ok' : 'text-bad'}>{hb.text}</span>{' '}
          <span className="muted">last beat: {formatTime(s?.last_success_at ?? null)}</span>
        </p>
        {s?.heartbeat === 'reregistration_needed' && (
          <div className="alert alert-error" role="alert" data-testid="device-rejected">
            <strong>Rejected by server:</strong> {s.last_error ?? 'the server refused this device.'}
            <div className="hint">
              The server no longer accepts this device (revoked, deleted, or its secret changed). Unregister,
              ask your administrator for a new token, and register again.
            </div>
          </div>
        )}
        {registered && s?.heartbeat !== 'reregistration_needed' && s?.last_error_kind === 'wrong_url' && (
          <div className="alert alert-error" role="alert" data-testid="device-wrong-url">
            <strong>The server URL looks wrong:</strong> {s.last_error}
            <div className="hint">
              Correct the profile’s server URL in Settings. Do not unregister: the registration is fine, the
              heartbeat finds the server again once the URL is right.
            </div>
          </div>
        )}
        {registered &&
          s?.last_error &&
          s.consecutive_failures > 0 &&
          s.heartbeat !== 'reregistration_needed' &&
          s.last_error_kind !== 'wrong_url' && <p className="muted">Last heartbeat error: {s.last_error}</p>}
      </div>

      <form className="card form" onSubmit={onRegister} aria-describedby="reg-steps">
        <div className="field">
          <label htmlFor="device-key">Device key</label>
          <div className="row">
            <input
              id="device-key"
              value={registered ? (s?.device_key ?? '') : deviceKey}
              readOnly={registered}
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => {
                setKeyTouched(true);
                setDeviceKey(e.target.value);
              }}
            />
            {registered && (
              <button type="button" onClick={onCopy}>
                Copy
              </button>
            )}
          </div>
          <span className="muted" aria-live="polite">
            {registered
              ? copied
              : 'Prefilled with this machine’s key; type the key your administrator issued if it differs.'}
          </span>
        </div>

        <div className="field">
          <label htmlFor="reg-token">Registration token</label>
          <input
            id="reg-token"
            className="token-input"
            value={token}
            // No maxLength: it would cut a pasted " ab cd ef" before normalizeToken strips the spaces.
            size={8}
            disabled={registered}
            autoComplete="off"
            spellCheck={false}
            placeholder={registered ? '' : 'ABC123'}
            aria-describedby="token-warning"
            onChange={(e) => setToken(normalizeToken(e.target.value))}
          />
        </div>

        <ol id="reg-steps" className="steps">
          <li>
            Ask your administrator to create this device on the server and give you its 6-character token.
          </li>
          <li>
            Check the device key above (keep the prefilled one unless the administrator issued another).
          </li>
          <li>Type the token (letters are uppercased for you) and press Register Device.</li>
          <li>Press Test Heartbeat to check that the server hears this device.</li>
        </ol>
        <p id="token-warning" className="alert alert-warn">
          A token works for one registration. A mistyped token does not use it up: if the server refuses it,
          check the typing and try again before asking for a new one.
        </p>

        <div className="row">
          <button
            type="submit"
            className="primary"
            disabled={registered || !tokenValid || registerState.pending}
          >
            Register Device
          </button>
          <button
            type="button"
            disabled={!registered || heartbeatState.pending}
            onClick={() => void heartbeat().then(() => status.reload())}
          >
            Test Heartbeat
          </button>
          <button
            type="button"
            className="danger"
            disabled={!registered || unregisterState.pending}
            onClick={() => setConfirming(true)}
          >
            Unregister
          </button>
        </div>
        {!registered && token.length > 0 && !tokenValid && (
          <p className="muted">The token needs 6 hexadecimal characters (0-9, A-F).</p>
        )}
        <div aria-live="polite">
          {registerState.pending && <Busy label="Registering with the server" />}
          {heartbeatState.pending && <Busy label="Sending heartbeat" />}
          {unregisterState.pending && <Busy label="Unregistering" />}
          {registerState.value && registerState.value.registered && (
            <p className="alert alert-ok">Registered. The heartbeat starts now.</p>
          )}
        </div>
        <ErrorMessage error={registerState.error} title="Registration failed" />
        <ErrorMessage error={unregisterState.error} title="Unregister failed" />
        <ErrorMessage error={heartbeatState.error} title="Heartbeat failed" />
        {heartbeatState.value && (
          <div
            className={`alert ${heartbeatState.value.ok ? 'alert-ok' : 'alert-error'}`}
            role="status"
            data-testid="heartbeat-result"
          >
            <strong>Heartbeat {heartbeatState.value.ok ? 'ok' : 'failed'}</strong>:{' '}
            {heartbeatState.value.message}
            {heartbeatState.value.latency_ms !== null && <> ({heartbeatState.value.latency_ms} ms)</>}
            {!heartbeatState.value.ok && s?.heartbeat !== 'reregistration_needed' && (
              <div className="hint">
                {s?.last_error_kind === 'wrong_url'
                  ? 'Correct the server URL in Settings, then try again.'
                  : 'Check the server URL in Settings and the network, then try again.'}
              </div>
            )}
          </div>
        )}
      </form>

      <ConfirmDialog
        open={confirming}
        title="Unregister this device?"
        message="The heartbeat stops and the stored device key is cleared. Registering again needs a new token from your administrator."
        confirmLabel="Unregister"
        onConfirm={() => void onUnregister()}
        onCancel={() => setConfirming(false)}
      />
    </section>
  );
}
