// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ShellBanner } from '../../src-renderer/components/shell-banner.js';
import type { ShellBridge, ShellState } from '../../src-shared/ipc/shell-state.js';

afterEach(cleanup);

function fakeBridge(initial: ShellState) {
  let state = initial;
  const listeners = new Set<(s: ShellState) => void>();
  const bridge: ShellBridge = {
    state: async () => ({ ok: true, value: state }),
    dismissAdminNotice: vi.fn(async () => {
      state = { ...state, admin_notice: null };
      return { ok: true as const, value: state };
    }),
    onChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const push = (s: ShellState) => {
    state = s;
    for (const l of listeners) l(s);
  };
  return { bridge, push };
}

const starting: ShellState = { startup: { phase: 'starting', error: null }, admin_notice: null };

describe('shell banner (desktop only)', () => {
  it('renders nothing without the desktop bridge (headless web UI)', () => {
    const { container } = render(<ShellBanner bridge={undefined} />);
    expect(container.innerHTML).toBe('');
  });

  it('shows the start-up, then the failure with its cause as an alert', async () => {
    const { bridge, push } = fakeBridge(starting);
    render(<ShellBanner bridge={bridge} />);
    expect(await screen.findByText('Starting the embedded server…')).toBeTruthy();
    act(() =>
      push({
        startup: { phase: 'failed', error: 'Embedded server did not start: port 8787 in use' },
        admin_notice: null,
      }),
    );
    expect(screen.getByRole('alert').textContent).toContain('port 8787 in use');
    expect(screen.queryByText('Starting the embedded server…')).toBeNull();
  });

  it('shows the admin password once with a copy button; "I have saved it" makes main forget it', async () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { bridge } = fakeBridge({
      startup: { phase: 'ready', error: null },
      admin_notice: { username: 'admin', password: 'Xy7-secret-once' },
    });
    render(<ShellBanner bridge={bridge} />);
    expect((await screen.findByTestId('admin-password')).textContent).toBe('Xy7-secret-once');
    await userEvent.click(screen.getByRole('button', { name: 'Copy password' }));
    expect(writeText).toHaveBeenCalledWith('Xy7-secret-once');
    expect(screen.getByText('Password copied to the clipboard.')).toBeTruthy();
    expect(screen.getByTestId('admin-username').textContent).toBe('admin');
    await userEvent.click(screen.getByRole('button', { name: 'Copy user name' }));
    expect(writeText).toHaveBeenLastCalledWith('admin');
    expect(screen.getByRole('region', { name: 'Embedded server admin account' }).textContent).toContain(
      'what a station logs in with',
    );
    await userEvent.click(screen.getByRole('button', { name: 'I have saved it' }));
    expect(bridge.dismissAdminNotice).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.queryByTestId('admin-password')).toBeNull());
  });

  it('says how to copy by hand when the clipboard is refused', async () => {
    Object.defineProperty(navigator, 'clipboard', {
      value: { writeText: async () => Promise.reject(new Error('denied')) },
      configurable: true,
    });
    const { bridge } = fakeBridge({
      startup: { phase: 'ready', error: null },
      admin_notice: { username: 'admin', password: 'p' },
    });
    render(<ShellBanner bridge={bridge} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Copy password' }));
    expect(screen.getByText(/select the password and press Ctrl\+C/)).toBeTruthy();
  });
});
