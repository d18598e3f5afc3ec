/**
 * What the headless web UI shows before its agent exists: the agent starting, the agent failing to start (with
 * the cause), or the one question a start may have to ask: there is no OS keyring, so where do the device's
 * secrets go? The encrypted file store is offered as an explicit choice, with what it means; the agent never
 * takes it by itself. Once chosen, the start carries on and the app appears.
 */
import { useState } from 'react';
import type { ShellBridge, ShellState } from '../../src-shared/ipc/shell-state.js';

export function StartupScreen({ state, bridge }: { state: ShellState; bridge: ShellBridge }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const choice = state.secrets_choice ?? null;
  const phase = state.agent?.phase ?? 'starting';

  const onChoose = async () => {
    if (!bridge.useSecretsFile) return;
    setBusy(true);
    setError(null);
    const r = await bridge.useSecretsFile();
    setBusy(false);
    if (!r.ok) setError(r.error.message);
  };

  return (
    <main id="main" className="startup" tabIndex={-1}>
      {phase === 'waiting-for-secrets' && choice && (
        <section className="card" aria-labelledby="secrets-choice-title" data-testid="secrets-choice">
          <h2 id="secrets-choice-title">Where should Outpost keep its secrets?</h2>
          <p>
            Outpost keeps the device secret and login tokens in the operating system&apos;s keyring, but this
            machine has none it can use: <span data-testid="keyring-reason">{choice.reason}</span>
          </p>
          <p>
            It can keep them in an encrypted file instead: <code>{choice.file_path}</code>, encrypted with a
            key in a file next to it (both readable only by your user). Anyone who can read your files as you
            can read the secrets too, so use it on a machine without a desktop session, not as a shortcut.
          </p>
          <p>
            This choice is remembered for this data dir; on the command line it is <code>{choice.flag}</code>.
            If you would rather set up a keyring (GNOME Keyring, KWallet), stop Outpost, set it up and start
            again.
          </p>
          <p>
            <button type="button" className="primary" disabled={busy} onClick={() => void onChoose()}>
              Use the encrypted file
            </button>
          </p>
          {error && (
            <p className="alert alert-error" role="alert">
              {error}
            </p>
          )}
        </section>
      )}
      {phase === 'starting' && (
        <p className="alert" role="status">
          Starting the agent…
        </p>
      )}
      {phase === 'failed' && (
        <div className="alert alert-error" role="alert">
          <p>
            <strong>The agent did not start.</strong> {state.agent?.error}
          </p>
          <p>The terminal says the same; fix the cause and start Outpost again.</p>
        </div>
      )}
    </main>
  );
}
