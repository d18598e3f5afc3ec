/** Station login (seed 001 JWT): shown when the agent reports that a login is needed. */
import { useId, useState } from 'react';
import { useAction, useApi } from '../../api/context.js';
import { Busy } from '../../components/busy.js';
import { ErrorMessage } from '../../components/error-message.js';

export function LoginForm({ expired, onLoggedIn }: { expired: boolean; onLoggedIn: () => void }) {
  const api = useApi();
  const userId = useId();
  const passId = useId();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [login, state] = useAction((u: string, p: string) => api.station.login({ username: u, password: p }));
  const onSubmit = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await login(username, password);
    setPassword('');
    if (r.ok) onLoggedIn();
  };
  return (
    <form className="card form" onSubmit={onSubmit} aria-label="Station login">
      <h3>{expired ? 'Login needed' : 'Log in to sync'}</h3>
      <p className="muted">
        {expired
          ? 'The session expired. Copies are still recorded locally; log in again to sync them.'
          : 'Copies are recorded locally either way; log in with your station account to sync them and fetch quotas.'}
      </p>
      <div className="row wrap">
        <div className="field">
          <label htmlFor={userId}>Username</label>
          <input
            id={userId}
            value={username}
            autoComplete="username"
            onChange={(e) => setUsername(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={passId}>Password</label>
          <input
            id={passId}
            type="password"
            value={password}
            autoComplete="current-password"
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        <button type="submit" className="primary" disabled={state.pending || !username || !password}>
          Log in
        </button>
      </div>
      {state.pending && <Busy label="Logging in" />}
      <ErrorMessage error={state.error} title="Login failed" />
    </form>
  );
}
