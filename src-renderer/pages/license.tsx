/** License (seed 002): activate with key + email, status with an expiry countdown, deactivate. */
import { useId, useState } from 'react';
import { useAction, useApi, useQuery } from '../api/context.js';
import type { LicenseStatus } from '../api/types.js';
import { Badge } from '../components/badge.js';
import { Busy } from '../components/busy.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorMessage } from '../components/error-message.js';
import { formatDuration, formatTime } from '../lib/format.js';
import { useNow } from '../lib/use-now.js';

export const LICENSE_KEY_RE = /^PROGRAN3-\d{4}-[A-Z0-9]{6}-[A-Z0-9]{3,6}$/;

export function LicenseCountdown({ status, now }: { status: LicenseStatus; now: number }) {
  if (!status.expires_at) return null;
  const left = new Date(status.expires_at).getTime() - now;
  if (Number.isNaN(left)) return null;
  return (
    <p
      data-testid="license-countdown"
      className={left <= 0 ? 'text-bad' : left < 7 * 86400_000 ? 'text-warn' : ''}
    >
      {left > 0 ? `Expires in ${formatDuration(left)}` : 'Expired'}{' '}
      <span className="muted">({formatTime(status.expires_at)})</span>
    </p>
  );
}

const STATE_LABEL: Record<LicenseStatus['state'], string> = {
  none: 'No license',
  active: 'Active',
  expiring: 'Expiring soon',
  expired: 'Expired',
  revoked: 'Revoked',
  invalid: 'Invalid',
};

function tone(state: LicenseStatus['state']): 'ok' | 'bad' | 'warn' | 'neutral' {
  if (state === 'active') return 'ok';
  if (state === 'expiring') return 'warn';
  if (state === 'none') return 'neutral';
  return 'bad';
}

export function LicensePage() {
  const api = useApi();
  const keyId = useId();
  const emailId = useId();
  const now = useNow(1000);
  const status = useQuery(() => api.license.status(), { eventTypes: ['license.status'] });
  const [key, setKey] = useState('');
  const [email, setEmail] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [activate, activateState] = useAction((k: string, e: string) =>
    api.license.activate({ license_key: k, email: e }),
  );
  const [deactivate, deactivateState] = useAction(() => api.license.deactivate());
  const [checkNow, checkState] = useAction(() => api.license.checkNow());
  const s = status.data;
  const active = !!s && s.state !== 'none' && !!s.license_key;
  const keyOk = LICENSE_KEY_RE.test(key);
  const emailOk = /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email);

  const onActivate = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await activate(key.trim(), email.trim());
    if (r.ok) setKey('');
    await status.reload();
  };

  return (
    <section aria-labelledby="lic-title">
      <h2 id="lic-title">License</h2>
      <ErrorMessage error={status.error} title="Could not read the license status" />
      <div className="card" aria-live="polite">
        {status.loading && !s ? (
          <Busy label="Loading" />
        ) : s ? (
          <>
            <p>
              Status: <Badge tone={tone(s.state)}>{STATE_LABEL[s.state] ?? s.state}</Badge>
            </p>
            {active && (
              <p>
                Key: <code data-testid="license-key">{s.license_key}</code>
                {s.email && <span className="muted"> — {s.email}</span>}
              </p>
            )}
            <LicenseCountdown status={s} now={now} />
            {s.message && <p className="muted">{s.message}</p>}
            {s.last_validated_at && (
              <p className="muted">Last checked with the server: {formatTime(s.last_validated_at)}</p>
            )}
          </>
        ) : null}
      </div>

      {!active ? (
        <form className="card form" onSubmit={onActivate}>
          <h3>Activate a license</h3>
          <div className="field">
            <label htmlFor={keyId}>License key</label>
            <input
              id={keyId}
              value={key}
              placeholder="PROGRAN3-2025-A1B2C3-XYZ789"
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => setKey(e.target.value.toUpperCase().trim())}
            />
          </div>
          <div className="field">
            <label htmlFor={emailId}>Email</label>
            <input
              id={emailId}
              type="email"
              value={email}
              autoComplete="email"
              onChange={(e) => setEmail(e.target.value)}
            />
          </div>
          {key && !keyOk && <p className="muted">Format: PROGRAN3-YYYY-XXXXXX-XXXXXX.</p>}
          <button type="submit" className="primary" disabled={!keyOk || !emailOk || activateState.pending}>
            Activate
          </button>
          {activateState.pending && <Busy label="Activating" />}
          <ErrorMessage error={activateState.error} title="Activation failed" />
        </form>
      ) : (
        <div className="card row wrap">
          <button
            type="button"
            disabled={checkState.pending}
            onClick={() => void checkNow().then(() => status.reload())}
          >
            Check now
          </button>
          {checkState.pending && <Busy label="Checking with the server" />}
          <ErrorMessage error={checkState.error} title="Check failed" />
          <button
            type="button"
            className="danger"
            disabled={deactivateState.pending}
            onClick={() => setConfirming(true)}
          >
            Deactivate
          </button>
          {deactivateState.pending && <Busy label="Deactivating" />}
          <ErrorMessage error={deactivateState.error} title="Deactivation failed" />
        </div>
      )}
      <ConfirmDialog
        open={confirming}
        title="Deactivate the license?"
        message="This machine stops using the license; you can activate it again (here or on another machine) later."
        confirmLabel="Deactivate"
        onConfirm={() => {
          setConfirming(false);
          void deactivate().then(() => status.reload());
        }}
        onCancel={() => setConfirming(false)}
      />
    </section>
  );
}
