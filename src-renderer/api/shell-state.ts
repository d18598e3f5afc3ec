/**
 * The shell's state (window.outpostShell in Electron, the web bridge headless), live; null until it answers. The
 * setter takes the state a bridge call answers with (e.g. after dismissing the admin notice).
 */
import { useEffect, useState } from 'react';
import type { ShellBridge, ShellState } from '../../src-shared/ipc/shell-state.js';

export function useShellState(bridge: ShellBridge | undefined): [ShellState | null, (s: ShellState) => void] {
  const [state, setState] = useState<ShellState | null>(null);
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
  return [state, setState];
}
