/**
 * What the desktop shell itself has to tell the operator (window.outpostShell, Electron only): the embedded
 * server still starting or failed to start (with the cause), and the server's one-time admin password from its
 * first start, with a copy button. The password is shown until the operator confirms it is saved; main then
 * forgets it. Headless (no bridge) this renders nothing: the terminal printed the password there.
 */
import { useEffect, useState } from 'react';
import type { ShellBridge, ShellState } from '../../src-shared/ipc/shell-state.js';

declare global {
  interface Window {
    outpostShell?: ShellBridge;
  }
}

export function ShellBanner({ bridge }: { bridge: ShellBridge | undefined }) {
  const [state, setState] = useState<ShellState | null>(null);
  const [copied, setCopied] = useState<string | null>(null);

  useEffect(() => {
    if (!bridge) return;
    let live = true;
    const off = bridge.onChange((s) => setState(s));
    void bridge.state().then((r) => {
      if (live && r.ok) setState(r.value);
    });
    return () => {
      live = false;
      off();
    };
  }, [bridge]);

  if (!bridge || !state) return null;
  const { startup, admin_notice: notice } = state;

  const onCopy = async () => {
    if (!notice) return;
    try {
      await navigator.clipboard.writeText(notice.password);
      setCopied('Password copied to the clipboard.');
    } catch {
      setCopied('Could not copy automatically: select the password and press Ctrl+C.');
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
          <p>Settings → Embedded server turns it on again once the cause is fixed.</p>
        </div>
      )}
      {notice && (
        <section className="alert alert-warn" aria-labelledby="admin-notice-title">
          <h2 id="admin-notice-title">Embedded server admin account</h2>
          <p>
            The embedded server created its admin user <strong>{notice.username}</strong>. Its password is
            shown this once and is not saved anywhere: store it in your password manager now.
          </p>
          <p>
            Password: <code data-testid="admin-password">{notice.password}</code>{' '}
            <button type="button" onClick={onCopy}>
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
