/**
 * What the shell itself has to tell the operator (window.outpostShell in Electron, the web bridge's shell state
 * headless): the embedded server still starting or failed to start (with the cause), and the server's one-time
 * admin credentials from its first start, each with a copy button, and what they are for. They are shown until
 * the operator confirms they are saved; the shell then forgets them. Without a bridge this renders nothing.
 */
import { useState } from 'react';
import type { ShellBridge } from '../../src-shared/ipc/shell-state.js';
import { useShellState } from '../api/shell-state.js';

declare global {
  interface Window {
    outpostShell?: ShellBridge;
  }
}

export function ShellBanner({ bridge }: { bridge: ShellBridge | undefined }) {
  const [state, setState] = useShellState(bridge);
  const [copied, setCopied] = useState<string | null>(null);

  if (!bridge || !state) return null;
  const { startup, admin_notice: notice } = state;

  const onCopy = async (what: 'username' | 'password') => {
    if (!notice) return;
    try {
      await navigator.clipboard.writeText(notice[what]);
      setCopied(
        what === 'password' ? 'Password copied to the clipboard.' : 'User name copied to the clipboard.',
      );
    } catch {
      setCopied(
        `Could not copy automatically: select the ${what === 'password' ? 'password' : 'user name'} and press Ctrl+C.`,
      );
    }
  };
  const onDismiss = async () => {
    const r = await bridge.dismissAdminNotice();
    if (r.ok) setState(r.value);
    setCopied(null);
  };

  return (
    <>
      {startup.phase === 'starting' && (
        <p className="alert" role="status">
          Starting the embedded server…
        </p>
      )}
      {startup.phase === 'failed' && (
        <div className="alert alert-error" role="alert">
          <p>
            <strong>The embedded server did not start.</strong> {startup.error}
          </p>
          <p>Once the cause is fixed, Settings → Embedded server → Restart the server starts it again.</p>
        </div>
      )}
      {notice && (
        <section className="alert alert-warn" aria-labelledby="admin-notice-title">
          <h2 id="admin-notice-title">Embedded server admin account</h2>
          <p>
            The embedded server created its admin account. These credentials are what a station logs in with
            (Station → Log in) until other accounts exist. The password is shown this once and is not saved
            anywhere: store it in your password manager now.
          </p>
          <p>
            User name: <code data-testid="admin-username">{notice.username}</code>{' '}
            <button type="button" onClick={() => void onCopy('username')}>
              Copy user name
            </button>
          </p>
          <p>
            Password: <code data-testid="admin-password">{notice.password}</code>{' '}
            <button type="button" onClick={() => void onCopy('password')}>
              Copy password
            </button>
          </p>
          {copied && <p role="status">{copied}</p>}
          <button type="button" onClick={onDismiss}>
            I have saved it
          </button>
        </section>
      )}
    </>
  );
}
