/**
 * Device groups and their heartbeat policy: list, create, edit, delete (its devices go to the default group).
 * The server validates; its message is shown as it wrote it.
 */
import { useId, useState } from 'react';
import { useAction, useApi, useQuery } from '../../api/context.js';
import type { Group } from '../../../src-shared/api/inventory.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { DataTable } from '../../components/data-table.js';
import { ErrorMessage } from '../../components/error-message.js';
import { Busy } from '../../components/busy.js';
import { can } from '../../lib/console-role.js';
import { consoleHref } from '../../lib/console-route.js';

interface Draft {
  name: string;
  description: string;
  interval: string;
  threshold: string;
}

const empty: Draft = { name: '', description: '', interval: '60', threshold: '180' };

function GroupForm({
  initial,
  label,
  onSubmit,
  pending,
}: {
  initial: Draft;
  label: string;
  pending: boolean;
  onSubmit: (d: Draft) => Promise<boolean>;
}) {
  const ids = { name: useId(), desc: useId(), int: useId(), thr: useId() };
  const [d, setD] = useState(initial);
  const set = (k: keyof Draft) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setD({ ...d, [k]: e.target.value });
  return (
    <form
      className="row wrap form"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit(d).then((ok) => ok && setD(initial));
      }}
    >
      <div className="field">
        <label htmlFor={ids.name}>Group name</label>
        <input id={ids.name} value={d.name} onChange={set('name')} />
      </div>
      <div className="field grow">
        <label htmlFor={ids.desc}>Group description</label>
        <input id={ids.desc} value={d.description} onChange={set('description')} />
      </div>
      <div className="field">
        <label htmlFor={ids.int}>Heartbeat interval (seconds)</label>
        <input id={ids.int} inputMode="numeric" value={d.interval} onChange={set('interval')} />
      </div>
      <div className="field">
        <label htmlFor={ids.thr}>Silence threshold (seconds)</label>
        <input id={ids.thr} inputMode="numeric" value={d.threshold} onChange={set('threshold')} />
      </div>
      <button type="submit" className="primary" disabled={pending}>
        {label}
      </button>
    </form>
  );
}

const body = (d: Draft) => ({
  name: d.name.trim(),
  description: d.description.trim() || null,
  heartbeat_interval_sec: Number(d.interval),
  silence_threshold_sec: Number(d.threshold),
});

export function GroupsPage({ role }: { role: string | null }) {
  const api = useApi();
  const list = useQuery(() => api.admin.groups.list());
  const [editing, setEditing] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<Group | null>(null);
  const [create, createState] = useAction((d: Draft) => api.admin.groups.create(body(d)));
  const [update, updateState] = useAction((id: number, d: Draft) =>
    api.admin.groups.update({ id, ...body(d) }),
  );
  const [remove, removeState] = useAction((id: number) => api.admin.groups.delete({ id }));
  const operate = can(role, 'operate');
  return (
    <div className="card" aria-labelledby="groups-title">
      <h3 id="groups-title">Groups</h3>
      <p className="muted">
        Each device is in one group; its heartbeat interval (5–3600 s) is sent to the device, and a device
        silent longer than the silence threshold counts as offline.
      </p>
      {operate && (
        <GroupForm
          initial={empty}
          label="Create group"
          pending={createState.pending}
          onSubmit={async (d) => {
            const r = await create(d);
            await list.reload();
            return r.ok;
          }}
        />
      )}
      <ErrorMessage error={createState.error} title="Group not created" />
      <ErrorMessage error={updateState.error} title="Group not saved" />
      <ErrorMessage error={removeState.error} title="Group not deleted" />
      <ErrorMessage error={list.error} title="Could not list groups" />
      {list.loading && !list.data && <Busy label="Loading groups" />}
      {list.data && (
        <DataTable>
          <caption className="sr-only">Groups</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Devices</th>
              <th scope="col">Heartbeat interval</th>
              <th scope="col">Silence threshold</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.groups.map((g) => (
              <tr key={g.id} data-testid={`group-row-${g.name}`}>
                <td>
                  {g.name} {g.is_default && <span className="muted">(default)</span>}
                  {g.description && <div className="muted">{g.description}</div>}
                  {editing === g.id && (
                    <GroupForm
                      initial={{
                        name: g.name,
                        description: g.description ?? '',
                        interval: String(g.heartbeat_interval_sec),
                        threshold: String(g.silence_threshold_sec),
                      }}
                      label="Save group"
                      pending={updateState.pending}
                      onSubmit={async (d) => {
                        const r = await update(g.id, d);
                        if (r.ok) setEditing(null);
                        await list.reload();
                        return r.ok;
                      }}
                    />
                  )}
                </td>
                <td>
                  <a href={consoleHref('devices', { query: { group: g.id } })}>{g.device_count}</a>
                </td>
                <td>{g.heartbeat_interval_sec} s</td>
                <td>{g.silence_threshold_sec} s</td>
                <td>
                  {operate && (
                    <div className="row wrap">
                      <button type="button" onClick={() => setEditing(editing === g.id ? null : g.id)}>
                        {editing === g.id ? 'Cancel edit' : `Edit ${g.name}`}
                      </button>
                      {!g.is_default && (
                        <button type="button" className="danger" onClick={() => setDeleting(g)}>
                          Delete {g.name}
                        </button>
                      )}
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      )}
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this group?"
        message={`Its ${deleting?.device_count ?? 0} devices move to the default group.`}
        confirmLabel="Delete"
        onConfirm={() => {
          const g = deleting;
          setDeleting(null);
          if (g) void remove(g.id).then(() => list.reload());
        }}
        onCancel={() => setDeleting(null)}
      />
    </div>
  );
}
