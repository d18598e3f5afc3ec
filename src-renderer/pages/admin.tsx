/** Server admin (only when the embedded server runs): activity chart, devices, clients and quotas, licenses. */
import { useApi, useQuery } from '../api/context.js';
import { Busy } from '../components/busy.js';
import { ErrorMessage } from '../components/error-message.js';
import { ActivityChart } from './admin/activity-chart.js';
import { AdminClients } from './admin/clients.js';
import { AdminDevices } from './admin/devices.js';
import { AdminLicenses } from './admin/licenses.js';

export function AdminPage() {
  const api = useApi();
  const stats = useQuery(() => api.admin.stats(), { intervalMs: 15_000, eventTypes: ['server.status'] });
  return (
    <section aria-labelledby="admin-title">
      <h2 id="admin-title">Server admin</h2>
      <div className="card" aria-labelledby="activity-title">
        <h3 id="activity-title">Activity, last hour</h3>
        <ErrorMessage error={stats.error} title="Could not read the server statistics" />
        {stats.data ? <ActivityChart stats={stats.data} /> : stats.loading && <Busy label="Loading" />}
      </div>
      <AdminDevices />
      <AdminClients />
      <AdminLicenses />
    </section>
  );
}
