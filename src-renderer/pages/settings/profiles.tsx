/**
 * Server profiles (name, base URL, timeout, retries, verify TLS). A profile holds no credential: the device
 * secret and the station login are the agent's, kept in its secret store.
 */
import { useId, useState } from 'react';
import { useAction, useApi, useQuery } from '../../api/context.js';
import type { ProfileInput, ProfileView, SettingsView } from '../../api/types.js';
import { Badge } from '../../components/badge.js';
import { Busy } from '../../components/busy.js';
import { ErrorMessage } from '../../components/error-message.js';
import { DataTable } from '../../components/data-table.js';
import { CopyValue } from '../../components/copy-value.js';

const EMPTY: ProfileInput = {
  name: '',
  base_url: 'http://127.0.0.1:8080',
  timeout: 20,
  retries: 3,
  verify_tls: true,
};

function toInput(p: ProfileView): ProfileInput {
  return {
    name: p.name,
    base_url: p.base_url,
    timeout: p.timeout,
    retries: p.retries,
    verify_tls: p.verify_tls,
  };
}

export function ProfilesSection() {
  const api = useApi();
  const settings = useQuery(() => api.settings.get());
  const [editing, setEditing] = useState<{ original: string | null; value: ProfileInput } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [update, updateState] = useAction((patch: Parameters<typeof api.settings.update>[0]) =>
    api.settings.update(patch),
  );
  const ids = {
    name: useId(),
    url: useId(),
    timeout: useId(),
    retries: useId(),
    tls: useId(),
  };
  const s: SettingsView | null = settings.data;

  const onSave = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!s || !editing) return;
    const v = { ...editing.value, name: editing.value.name.trim(), base_url: editing.value.base_url.trim() };
    const clash = s.profiles.some((p) => p.name === v.name && p.name !== editing.original);
    if (clash) {
      setFormError(`A profile named “${v.name}” already exists: pick another name.`);
      return;
    }
    setFormError(null);
    const profiles =
      editing.original === null
        ? [...s.profiles.map(toInput), v]
        : s.profiles.map((p) => (p.name === editing.original ? v : toInput(p)));
    const active = s.active === editing.original ? v.name : s.active;
    const r = await update({ profiles, active });
    if (!r.ok) return;
    setSaved(`Profile “${v.name}” saved.`);
    setEditing(null);
    await settings.reload();
  };

  const onActivate = async (name: string) => {
    const r = await update({ active: name });
    if (r.ok) setSaved(`“${name}” is now the active profile.`);
    await settings.reload();
  };

  const onDelete = async (name: string) => {
    if (!s) return;
    const r = await update({ profiles: s.profiles.filter((p) => p.name !== name).map(toInput) });
    if (r.ok) setSaved(`Profile “${name}” deleted.`);
    await settings.reload();
  };

  const set = <K extends keyof ProfileInput>(k: K, v: ProfileInput[K]) =>
    setEditing((cur) => (cur ? { ...cur, value: { ...cur.value, [k]: v } } : cur));

  return (
    <div className="card" aria-labelledby="profiles-title">
      <h3 id="profiles-title">Server profiles</h3>
      <ErrorMessage error={settings.error} title="Could not read the settings" />
      {s?.settings_recovered && (
        <p className="alert alert-error" role="alert">
          {s.settings_recovered.path} was corrupt ({s.settings_recovered.reason}): default settings are in
          use.
          {s.settings_recovered.moved_to
            ? ` The bad file was kept as ${s.settings_recovered.moved_to}.`
            : ''}{' '}
          Check the profiles below and save them again.
        </p>
      )}
      {s?.server_url_overridden && (
        <p className="alert alert-warn">
          OUTPOST_SERVER_URL is set: it overrides the active profile’s base URL.
        </p>
      )}
      {s && (
        <DataTable>
          <caption className="sr-only">Profiles</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Base URL</th>
              <th scope="col">Timeout / retries</th>
              <th scope="col">TLS</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {s.profiles.map((p) => (
              <tr key={p.name}>
                <td>
                  {p.name} {p.name === s.active && <Badge tone="ok">active</Badge>}
                </td>
                <td>
                  <CopyValue value={p.base_url} what="base URL" />
                </td>
                <td>
                  {p.timeout} s / {p.retries}
                </td>
                <td>{p.verify_tls ? 'verified' : 'not verified'}</td>
                <td>
                  <div className="row wrap">
                    {p.name !== s.active && (
                      <button type="button" onClick={() => void onActivate(p.name)}>
                        Use
                      </button>
                    )}
                    <button type="button" onClick={() => setEditing({ original: p.name, value: toInput(p) })}>
                      Edit
                    </button>
                    {p.name !== s.active && (
                      <button type="button" className="danger" onClick={() => void onDelete(p.name)}>
                        Delete
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </DataTable>
      )}
      {!editing && (
        <button type="button" onClick={() => setEditing({ original: null, value: { ...EMPTY } })}>
          Add profile
        </button>
      )}
      {editing && (
        <form className="form" onSubmit={onSave} aria-label="Edit profile">
          <div className="row wrap">
            <div className="field">
              <label htmlFor={ids.name}>Name</label>
              <input
                id={ids.name}
                required
                value={editing.value.name}
                onChange={(e) => set('name', e.target.value)}
              />
            </div>
            <div className="field grow">
              <label htmlFor={ids.url}>Base URL</label>
              <input
                id={ids.url}
                type="url"
                required
                value={editing.value.base_url}
                onChange={(e) => set('base_url', e.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor={ids.timeout}>Timeout (seconds)</label>
              <input
                id={ids.timeout}
                type="number"
                min={1}
                max={600}
                value={editing.value.timeout}
                onChange={(e) => set('timeout', Number(e.target.value))}
              />
            </div>
            <div className="field">
              <label htmlFor={ids.retries}>Retries</label>
              <input
                id={ids.retries}
                type="number"
                min={0}
                max={10}
                value={editing.value.retries}
                onChange={(e) => set('retries', Number(e.target.value))}
              />
            </div>
          </div>
          <div className="field checkbox">
            <input
              id={ids.tls}
              type="checkbox"
              checked={editing.value.verify_tls}
              onChange={(e) => set('verify_tls', e.target.checked)}
            />
            <label htmlFor={ids.tls}>
              Verify TLS certificates (turn off only for a self-signed test server)
            </label>
          </div>
          {formError && (
            <p className="alert alert-error" role="alert">
              {formError}
            </p>
          )}
          <div className="row">
            <button type="submit" className="primary" disabled={updateState.pending}>
              Save profile
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <div aria-live="polite">
        {updateState.pending && <Busy label="Saving" />}
        {saved && !updateState.error && <p className="alert alert-ok">{saved}</p>}
      </div>
      <ErrorMessage error={updateState.error} title="Settings not saved" />
    </div>
  );
}
