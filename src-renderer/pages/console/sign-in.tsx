/**
 * Signing the console in to the server the active profile points at: username and password, or a pasted API
 * key. Main keeps the credential in the OS keyring; this page only ever sees the name and role it answers.
 */
import { useId, useState } from 'react';
import { useAction, useApi } from '../../api/context.js';
import type { ConsoleSession } from '../../../src-shared/ipc/channels.js';
import { Busy } from '../../components/busy.js';
import { ErrorMessage } from '../../components/error-message.js';

export function SignInForm({ session, onDone }: { session: ConsoleSession; onDone: () => void }) {
  const api = useApi();
  const ids = { user: useId(), pass: useId(), key: useId() };
  const [mode, setMode] = useState<'password' | 'key'>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [signIn, state] = useAction((input: Parameters<typeof api.admin.session.signIn>[0]) =>
    api.admin.session.signIn(input),
  );
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const r = await signIn(
      mode === 'password' ? { username: username.trim(), password } : { api_key: apiKey.trim() },
    );
    setPassword('');
    setApiKey('');
    if (r.ok) onDone();
  };
  return (
    <div className="card" aria-labelledby="console-signin-title" data-testid="console-signin">
      <h3 id="console-signin-title">Sign in to {session.server_url ?? 'the server'}</h3>
      {session.state === 'expired' && (
        <div className="alert alert-warn" role="alert" data-testid="console-signed-out">
          Signed out: sign in again.
        </div>
      )}
      <p className="muted">
        The console administers the server the active profile points at (change it in Settings). Your sign-in
        is kept in this machine&apos;s keyring, never in the settings file.
      </p>
      <div className="row" role="radiogroup" aria-label="Sign in with">
        <label>
          <input type="radio" checked={mode === 'password'} onChange={() => setMode('password')} /> Username
          and password
        </label>
        <label>
          <input type="radio" checked={mode === 'key'} onChange={() => setMode('key')} /> With an API key
        </label>
      </div>
      <form className="form" onSubmit={(e) => void submit(e)} aria-label="Sign in">
        {mode === 'password' ? (
          <div className="row wrap">
            <div className="field">
              <label htmlFor={ids.user}>Username</label>
              <input
                id={ids.user}
                autoComplete="username"
                value={username}
                onChange={(e) => setUsername(e.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor={ids.pass}>Password</label>
              <input
                id={ids.pass}
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </div>
          </div>
        ) : (
          <div className="field grow">
            <label htmlFor={ids.key}>API key</label>
            <input
              id={ids.key}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
          </div>
        )}
        <button
          type="submit"
          className="primary"
          disabled={
            state.pending || (mode === 'password' ? !username || !password : apiKey.trim().length < 8)
          }
        >
          Sign in
        </button>
      </form>
      <div aria-live="polite">{state.pending && <Busy label="Signing in" />}</div>
      <ErrorMessage error={state.error} title="Not signed in" />
    </div>
  );
}

/** Who the console acts as, and the way out. */
export function SessionBar({ session, onChange }: { session: ConsoleSession; onChange: () => void }) {
  const api = useApi();
  const [signOut, state] = useAction(() => api.admin.session.signOut());
  const who =
    session.state === 'embedded'
      ? "This machine's embedded server (its own admin key)"
      : `${session.name ?? 'Signed in'}${session.role ? ` (${session.role})` : ' (role not told by the server)'}`;
  return (
    <div className="row wrap session-bar" data-testid="console-session">
      <span>
        Server: <code>{session.server_url}</code>
      </span>
      <span data-testid="console-who">Signed in as {who}</span>
      {session.state === 'signed_in' && (
        <button type="button" disabled={state.pending} onClick={() => void signOut().then(onChange)}>
          Sign out
        </button>
      )}
      <ErrorMessage error={state.error} title="Not signed out" />
    </div>
  );
}
