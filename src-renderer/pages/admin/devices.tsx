/**
 * Admin → devices: online/offline and last seen, create a device (prefilled with this machine's own key on
 * request, so the local agent can match it), issue a new token (also to a revoked device, which may then register
 * again), revoke. Every token this console issued stays listed, with a copy button, until it is used, revoked,
 * replaced or expires.
 */
import { useId, useState } from 'react';
import { useAction, useApi, useQuery } from '../../api/context.js';
import type { DeviceToken } from '../../api/types.js';
import { Badge } from '../../components/badge.js';
import { Busy } from '../../components/busy.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { ErrorMessage } from '../../components/error-message.js';
import { formatTime } from '../../lib/format.js';
import { DataTable } from '../../components/data-table.js';
import { CopyValue } from '../../components/copy-value.js';

export function TokenOnce({ token, onDone }: { token: DeviceToken; onDone: () => void }) {
  return (
    <div className="alert alert-ok" role="alert" data-testid="device-token">
      <p>
        Registration token for <code>{token.device_key}</code>:{' '}
        <strong className="token" data-testid="device-token-code">
          {token.token_code}
        </strong>
        {token.expires_at && <span className="muted"> (valid until {formatTime(token.expires_at)})</span>}
      </p>
      <p>
        It works for one registration. It stays under &quot;Outstanding registration tokens&quot; (with a copy
        button) until it is used or the device is revoked.
      </p>
      <button type="button" onClick={onDone}>
        Done, hide the token
      </button>
    </div>
  );
}

function OutstandingTokens({ tokens }: { tokens: DeviceToken[] }) {
  const [copied, setCopied] = useState<string | null>(null);
  if (tokens.length === 0) return null;
  const onCopy = async (t: DeviceToken) => {
    try {
      await navigator.clipboard.writeText(t.token_code);
      setCopied(`Token for ${t.device_key} copied to the clipboard.`);
    } catch {
      setCopied('Could not copy automatically: select the token and press Ctrl+C.');
    }
  };
  return (
    <section aria-labelledby="adm-tokens-title" data-testid="outstanding-tokens">
      <h4 id="adm-tokens-title">Outstanding registration tokens</h4>
      <p className="muted">
        Each works for one registration; it leaves this list once used, revoked or expired.
      </p>
      <ul>
        {tokens.map((t) => (
          <li key={t.device_key} data-testid={`outstanding-${t.device_key}`}>
            <code>{t.device_key}</code>: <strong className="token">{t.token_code}</strong>
            {t.expires_at && <span className="muted"> (valid until {formatTime(t.expires_at)})</span>}{' '}
            <button type="button" onClick={() => void onCopy(t)}>
              Copy token for {t.device_key}
            </button>
          </li>
        ))}
      </ul>
      {copied && <p role="status">{copied}</p>}
    </section>
  );
}

export function AdminDevices() {
  const api = useApi();
  const keyId = useId();
  const noteId = useId();
  const list = useQuery(() => api.admin.devices.list(), {
    eventTypes: ['realtime', 'server.status'],
    intervalMs: 5000,
  });
  const outstanding = useQuery(() => api.admin.devices.outstanding(), {
    eventTypes: ['realtime', 'server.status'],
    intervalMs: 5000,
  });
  const [key, setKey] = useState('');
  const [note, setNote] = useState('');
  const [shown, setShown] = useState<DeviceToken | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [create, createState] = useAction((k: string, n: string) =>
    api.admin.devices.create({ device_key: k || undefined, note: n || undefined }),
  );
  const [newToken, tokenState] = useAction((k: string) => api.admin.devices.newToken({ device_key: k }));
  const [revoke, revokeState] = useAction((k: string) => api.admin.devices.revoke({ device_key: k }));

  const onCreate = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await create(key.trim(), note.trim());
    if (r.ok) {
      setShown(r.value);
      setKey('');
      setNote('');
    }
    await Promise.all([list.reload(), outstanding.reload()]);
  };
  const onNewToken = async (k: string) => {
    const r = await newToken(k);
    if (r.ok) setShown(r.value);
    await Promise.all([list.reload(), outstanding.reload()]);
  };
  const onThisMachine = async () => {
    const r = await api.device.ownKey();
    if (r.ok) setKey(r.value.device_key);
  };

  const devices = list.data?.devices ?? [];
  const online = devices.filter((d) => d.online).length;

  return (
    <div className="card" aria-labelledby="adm-dev-title">
      <h3 id="adm-dev-title">
        Devices{' '}
        <span className="muted">
          ({online} online of {devices.length})
        </span>
      </h3>
      {shown && <TokenOnce token={shown} onDone={() => setShown(null)} />}
      <form className="row wrap form" onSubmit={onCreate} aria-label="Create a device">
        <div className="field">
          <label htmlFor={keyId}>New device key (optional)</label>
          <input id={keyId} value={key} spellCheck={false} onChange={(e) => setKey(e.target.value)} />
          <button type="button" onClick={() => void onThisMachine()}>
            For this machine
          </button>
          <span className="muted">
            Fills in this agent&apos;s own key: a device created with another key is not this machine.
          </span>
        </div>
        <div className="field grow">
          <label htmlFor={noteId}>Note</label>
          <input id={noteId} value={note} onChange={(e) => setNote(e.target.value)} />
        </div>
        <button type="submit" className="primary" disabled={createState.pending}>
          Create device
        </button>
      </form>
      <div aria-live="polite">
        {(createState.pending || tokenState.pending || revokeState.pending) && <Busy label="Working" />}
      </div>
      <ErrorMessage error={createState.error} title="Device not created" />
      <ErrorMessage error={tokenState.error} title="No new token" />
      <ErrorMessage error={revokeState.error} title="Device not revoked" />
      <ErrorMessage error={list.error} title="Could not list devices" />
      <OutstandingTokens tokens={outstanding.data?.tokens ?? []} />
      {devices.length > 0 && (
        <DataTable>
          <caption className="sr-only">Devices</caption>
          <thead>
            <tr>
              <th scope="col">Device key</th>
              <th scope="col">State</th>
              <th scope="col">Last seen</th>
              <th scope="col">Note</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.device_key} data-testid={`device-row-${d.device_key}`}>
                <td>
                  <CopyValue value={d.device_key} what="device key" />
                </td>
                <td>
                  {d.revoked ? (
                    <Badge tone="neutral">revoked</Badge>
                  ) : d.online ? (
                    <Badge tone="ok">online</Badge>
                  ) : (
                    <Badge tone="bad">offline</Badge>
                  )}{' '}
                  {!d.registered && !d.revoked && <span className="muted">awaiting registration</span>}
                </td>
                <td>{formatTime(d.last_seen)}</td>
                <td>{d.note ?? ''}</td>
                <td>
                  <div className="row wrap">
                    <button type="button" onClick={() => void onNewToken(d.device_key)}>
                      {d.revoked ? 'Issue a new token' : 'New token'}
                    </button>
                    {!d.revoked && (
                      <button type="button" className="danger" onClick={() => setRevoking(d.device_key)}>
                        Revoke
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this device?"
        message={`${revoking ?? ''} stops being accepted at once; it needs a new token to register again.`}
        confirmLabel="Revoke"
        onConfirm={() => {
          const k = revoking;
          setRevoking(null);
          if (k) void revoke(k).then(() => Promise.all([list.reload(), outstanding.reload()]));
        }}
        onCancel={() => setRevoking(null)}
      />
    </div>
  );
}
