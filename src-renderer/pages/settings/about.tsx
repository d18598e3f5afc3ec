/** About: versions and where this agent keeps its data. */
import { useApi, useQuery } from '../../api/context.js';
import { ErrorMessage } from '../../components/error-message.js';

export function AboutSection() {
  const api = useApi();
  const info = useQuery(() => api.app.info());
  const i = info.data;
  return (
    <div className="card" aria-labelledby="about-title">
      <h3 id="about-title">About</h3>
      <ErrorMessage error={info.error} title="Could not read the app info" />
      {i && (
        <dl className="kv">
          <dt>Version</dt>
          <dd data-testid="app-version">
            {i.name} {i.version}
          </dd>
          <dt>Mode</dt>
          <dd>{i.shell === 'electron' ? `Desktop (Electron ${i.electron ?? ''})` : 'Headless web UI'}</dd>
          <dt>Runtime</dt>
          <dd>
            Node {i.node} on {i.platform}/{i.arch}
          </dd>
          <dt>Data folder</dt>
          <dd className="break">{i.data_dir}</dd>
          <dt>Logs folder</dt>
          <dd className="break">{i.logs_dir}</dd>
          <dt>Secret storage</dt>
          <dd>{i.secret_backend}</dd>
        </dl>
      )}
    </div>
  );
}
