/**
 * The operator's console for the server the active profile points at: this machine's embedded server (its key is
 * held by main, no sign-in) or a fleet server after the operator signs in. Sub-pages live in the URL hash:
 * overview (activity, devices, clients, licenses), the device inventory, one device, groups.
 */
import { useApi, useQuery } from '../api/context.js';
import { Busy } from '../components/busy.js';
import { ErrorMessage } from '../components/error-message.js';
import { can } from '../lib/console-role.js';
import { consoleHref, useConsoleRoute, type ConsoleView } from '../lib/console-route.js';
import { ActivityChart } from './admin/activity-chart.js';
import { AdminClients } from './admin/clients.js';
import { AdminDevices } from './admin/devices.js';
import { AdminLicenses } from './admin/licenses.js';
import { BulkEnroll } from './console/bulk-enroll.js';
import { DevicePage } from './console/device-page.js';
import { GroupsPage } from './console/groups.js';
import { InventoryPage } from './console/inventory.js';
import { SessionBar, SignInForm } from './console/sign-in.js';
import { useState } from 'react';

const TABS: { view: ConsoleView; label: string }[] = [
  { view: 'overview', label: 'Overview' },
  { view: 'devices', label: 'Devices' },
  { view: 'groups', label: 'Groups' },
];

function Overview({ embedded, role }: { embedded: boolean; role: string | null }) {
  const api = useApi();
  const stats = useQuery(() => api.admin.stats(), { intervalMs: 15_000, eventTypes: ['server.status'] });
  return (
    <>
      {embedded && (
        <div className="card" aria-labelledby="activity-title">
          <h3 id="activity-title">Activity, last hour</h3>
          <ErrorMessage error={stats.error} title="Could not read the server statistics" />
          {stats.data ? <ActivityChart stats={stats.data} /> : stats.loading && <Busy label="Loading" />}
        </div>
      )}
      <AdminDevices />
      <AdminClients />
      {can(role, 'admin') && <AdminLicenses />}
    </>
  );
}

export function AdminPage() {
  const api = useApi();
  const route = useConsoleRoute();
  const [bulkOpen, setBulkOpen] = useState(false);
  const session = useQuery(() => api.admin.session.status(), {
    eventTypes: ['server.status'],
    // A sign-in the server stopped accepting is forgotten by main on the next call; the bar follows within seconds.
    intervalMs: 5000,
  });
  const s = session.data;
  const active = s && (s.state === 'embedded' || s.state === 'signed_in');
  const role = s?.role ?? null;
  return (
    <section aria-labelledby="admin-title">
      <h2 id="admin-title">Server admin</h2>
      <ErrorMessage error={session.error} title="Could not read the console's sign-in" />
      {s && !active && <SignInForm session={s} onDone={() => void session.reload()} />}
      {s && active && (
        <>
          <SessionBar session={s} onChange={() => void session.reload()} />
          <nav aria-label="Console" className="subnav">
            <ul>
              {TABS.map((t) => (
                <li key={t.view}>
                  <a
                    href={consoleHref(t.view)}
                    aria-current={
                      route.view === t.view || (t.view === 'devices' && route.view === 'device')
                        ? 'page'
                        : undefined
                    }
                  >
                    {t.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <ConsoleBody
            view={route.view}
            deviceKey={route.key}
            query={route.query}
            role={role}
            embedded={s.state === 'embedded'}
            bulkOpen={bulkOpen}
            setBulkOpen={setBulkOpen}
            onSignedOut={() => void session.reload()}
          />
        </>
      )}
    </section>
  );
}

function ConsoleBody(props: {
  view: ConsoleView;
  deviceKey?: string;
  query: ReturnType<typeof useConsoleRoute>['query'];
  role: string | null;
  embedded: boolean;
  bulkOpen: boolean;
  setBulkOpen: (v: boolean) => void;
  onSignedOut: () => void;
}) {
  const { view, role } = props;
  if (view === 'device' && props.deviceKey) return <DevicePage deviceKey={props.deviceKey} role={role} />;
  if (view === 'groups') return <GroupsPage role={role} />;
  if (view === 'devices') {
    return (
      <>
        {can(role, 'operate') &&
          (props.bulkOpen ? (
            <BulkEnroll onDone={() => props.setBulkOpen(false)} />
          ) : (
            <p>
              <button type="button" onClick={() => props.setBulkOpen(true)}>
                Bulk enrollment…
              </button>
            </p>
          ))}
        <InventoryPage query={props.query} />
      </>
    );
  }
  return <Overview embedded={props.embedded} role={role} />;
}
