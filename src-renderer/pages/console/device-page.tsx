/**
 * One device: identity and device info, group, state with the time of each transition, its timeline, the
 * heartbeats of the last 7 days, and the actions the role allows (new token, revoke, move group, edit note).
 */
import { useEffect, useId, useState } from 'react';
import { useAction, useApi, useQuery } from '../../api/context.js';
import type { DeviceToken } from '../../api/types.js';
import { Busy } from '../../components/busy.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { ErrorMessage } from '../../components/error-message.js';
import { can } from '../../lib/console-role.js';
import { consoleHref } from '../../lib/console-route.js';
import { formatTime } from '../../lib/format.js';
import { TokenOnce } from '../admin/devices.js';
import { HeartbeatChart } from './heartbeat-chart.js';
import { StateBadge } from './inventory.js';

const EVENT_LABEL: Record<string, string> = {
  created: 'Created',
  token_issued: 'Token issued',
  registered: 'Registered',
  revoked: 'Revoked',
  ip_changed: 'IP address changed',
  mac_changed: 'MAC address changed',
  offline: 'Went offline',
  online: 'Came online',
  license_activated: 'License activated',
  ssh_key_published: 'SSH key published',
  group_changed: 'Moved to another group',
  note_changed: 'Note changed',
};

export function DevicePage({ deviceKey, role }: { deviceKey: string; role: string | null }) {
  const api = useApi();
  const ids = { note: useId(), group: useId() };
  const device = useQuery(() => api.admin.inventory.get({ device_key: deviceKey }), { deps: [deviceKey] });
  const timeline = useQuery(() => api.admin.inventory.timeline({ device_key: deviceKey }), {
    deps: [deviceKey],
  });
  const beats = useQuery(() => api.admin.inventory.heartbeats({ device_key: deviceKey }), {
    deps: [deviceKey],
  });
  const groups = useQuery(() => api.admin.groups.list());
  const [note, setNote] = useState('');
  const [token, setToken] = useState<DeviceToken | null>(null);
  const [confirmRevoke, setConfirmRevoke] = useState(false);
  const [update, updateState] = useAction((patch: { note?: string | null; group?: number }) =>
    api.admin.inventory.update({ device_key: deviceKey, ...patch }),
  );
  const [newToken, tokenState] = useAction(() => api.admin.devices.newToken({ device_key: deviceKey }));
  const [revoke, revokeState] = useAction(() => api.admin.devices.revoke({ device_key: deviceKey }));
  const d = device.data;
  useEffect(() => setNote(d?.note ?? ''), [d?.note]);
  const operate = can(role, 'operate');
  const refresh = () => Promise.all([device.reload(), timeline.reload()]);

  return (
    <section aria-labelledby="device-title">
      <p>
        <a href={consoleHref('devices')}>← All devices</a>
      </p>
      <div className="card">
        <h3 id="device-title">
          Device <code>{deviceKey}</code> {d && <StateBadge state={d.state} />}
        </h3>
        <ErrorMessage error={device.error} title="Could not load the device" />
        {device.loading && !d && <Busy label="Loading" />}
        {d && (
          <dl className="kv" data-testid="device-info">
            <dt>State</dt>
            <dd data-testid="device-state">{d.state}</dd>
            <dt>Group</dt>
            <dd data-testid="device-group">{d.group.name}</dd>
            <dt>Heartbeat interval / silence threshold</dt>
            <dd>
              {d.heartbeat_interval_sec} s / {d.silence_threshold_sec} s
            </dd>
            <dt>Created</dt>
            <dd>{formatTime(d.transitions.created_at)}</dd>
            <dt>Registered</dt>
            <dd>{formatTime(d.transitions.registered_at)}</dd>
            <dt>Last went offline</dt>
            <dd>{formatTime(d.transitions.went_offline_at)}</dd>
            <dt>Last came back online</dt>
            <dd>{formatTime(d.transitions.came_online_at)}</dd>
            <dt>Revoked</dt>
            <dd>{formatTime(d.transitions.revoked_at)}</dd>
            <dt>Last seen</dt>
            <dd>{formatTime(d.last_seen)}</dd>
            <dt>Hostname</dt>
            <dd>{d.hostname ?? '—'}</dd>
            <dt>IP (LAN / public)</dt>
            <dd>
              {d.ip_address ?? '—'} ({d.ip_lan ?? '—'} / {d.ip_public ?? '—'})
            </dd>
            <dt>MAC</dt>
            <dd>{d.mac ?? '—'}</dd>
            <dt>SSH key</dt>
            <dd>{d.has_ssh_key ? 'published' : 'none'}</dd>
            <dt>Unused token valid until</dt>
            <dd>{formatTime(d.token_expires_at)}</dd>
          </dl>
        )}
        {token && <TokenOnce token={token} onDone={() => setToken(null)} />}
        {d && operate && (
          <div className="form">
            <div className="row wrap">
              <div className="field grow">
                <label htmlFor={ids.note}>Device note</label>
                <input id={ids.note} value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
              </div>
              <button
                type="button"
                disabled={updateState.pending || note === (d.note ?? '')}
                onClick={() => void update({ note: note.trim() || null }).then(refresh)}
              >
                Save note
              </button>
              <div className="field">
                <label htmlFor={ids.group}>Move to group</label>
                <select
                  id={ids.group}
                  value={d.group.id}
                  onChange={(e) => void update({ group: Number(e.target.value) }).then(refresh)}
                >
                  {(groups.data?.groups ?? [d.group]).map((g) => (
                    <option key={g.id} value={g.id}>
                      {g.name}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <div className="row wrap">
              <button
                type="button"
                disabled={tokenState.pending}
                onClick={() =>
                  void newToken().then((r) => {
                    if (r.ok) setToken(r.value);
                    return refresh();
                  })
                }
              >
                New token
              </button>
              {d.state !== 'revoked' && (
                <button type="button" className="danger" onClick={() => setConfirmRevoke(true)}>
                  Revoke
                </button>
              )}
            </div>
          </div>
        )}
        <div aria-live="polite">
          {(updateState.pending || revokeState.pending) && <Busy label="Saving" />}
        </div>
        <ErrorMessage error={updateState.error} title="Not saved" />
        <ErrorMessage error={tokenState.error} title="No new token" />
        <ErrorMessage error={revokeState.error} title="Not revoked" />
      </div>
      <div className="card" aria-labelledby="hb-title">
        <h3 id="hb-title">Heartbeats, last 7 days</h3>
        <ErrorMessage error={beats.error} title="Could not load the heartbeats" />
        {beats.data && <HeartbeatChart buckets={beats.data.buckets} />}
      </div>
      <div className="card" aria-labelledby="tl-title">
        <h3 id="tl-title">Timeline</h3>
        <ErrorMessage error={timeline.error} title="Could not load the timeline" />
        {timeline.data && timeline.data.events.length === 0 && <p className="muted">Nothing recorded yet.</p>}
        {timeline.data && timeline.data.events.length > 0 && (
          <ol className="timeline" data-testid="device-timeline">
            {timeline.data.events.map((e, i) => (
              <li key={`${e.at}-${i}`}>
                <time dateTime={e.at}>{formatTime(e.at)}</time> {EVENT_LABEL[e.type] ?? e.type}
                {e.details && (
                  <span className="muted">
                    {' '}
                    {Object.entries(e.details)
                      .map(([k, v]) => `${k}: ${String(v)}`)
                      .join(', ')}
                  </span>
                )}
              </li>
            ))}
          </ol>
        )}
      </div>
      <ConfirmDialog
        open={confirmRevoke}
        title="Revoke this device?"
        message={`${deviceKey} stops being accepted at once; it needs a new token to register again.`}
        confirmLabel="Revoke"
        onConfirm={() => {
          setConfirmRevoke(false);
          void revoke().then(refresh);
        }}
        onCancel={() => setConfirmRevoke(false)}
      />
    </section>
  );
}
