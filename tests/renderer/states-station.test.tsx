// @vitest-environment jsdom
import './no-xhr.js';
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ADMIN } from '../helpers/server.js';
import {
  adminCreateClient,
  adminSetQuota,
  heldTimers,
  startRealStack,
  type RealStack,
} from './real-stack.js';

const stacks: RealStack[] = [];
afterEach(async () => {
  cleanup();
  for (const s of stacks.splice(0).reverse()) await s.dispose();
});

/** A logged-in station whose recorded copies wait for the test (held push timer, no socket to trigger syncs). */
async function station(): Promise<{ s: RealStack; push: ReturnType<typeof heldTimers> }> {
  const push = heldTimers();
  const s = await startRealStack({ agent: { station: { timers: push.timers, realtime: false } } });
  stacks.push(s);
  return { s, push };
}

async function loggedInWithClient(s: RealStack, name: string, quota: number): Promise<number> {
  const id = await adminCreateClient(s.srv, name, quota);
  await s.agent.station.login(TEST_ADMIN.username, TEST_ADMIN.password);
  await s.agent.station.syncNow();
  expect(s.agent.station.quotas().find((q) => q.client_id === id)?.name).toBe(name);
  return id;
}

async function openStation(): Promise<void> {
  await userEvent.click(screen.getByRole('link', { name: 'Station' }));
  await screen.findByRole('heading', { name: 'Copy station' });
}

describe('station states over a real agent and server', () => {
  it('a sync with 0 synced and 3 failed is shown as failed, with the reason in words and the client name', async () => {
    const { s } = await station();
    const id = await loggedInWithClient(s, 'Acme Print', 3);
    for (const uid of ['04A1A1A1', '04A2A2A2', '04A3A3A3']) s.agent.station.recordCopy(id, uid);
    // The quota is taken away on the server before the copies arrive: every one of them is refused.
    await adminSetQuota(s.srv, id, 0);
    await openStation();

    await userEvent.click(screen.getByRole('button', { name: 'Sync now' }));
    const banner = await screen.findByTestId('sync-result');
    expect(banner.className).toContain('alert-error');
    expect(banner.className).not.toContain('alert-ok');
    expect(banner.textContent).toMatch(/Sync failed/);
    expect(banner.textContent).toMatch(/0 synced, 3 failed/);
    await waitFor(() =>
      expect(banner.textContent).toContain(
        'Acme Print: no copies left for this client on the server (3 copies)',
      ),
    );
    const table = screen.getByRole('table', { name: 'Failed operations' });
    expect(within(table).getAllByText('Acme Print')).toHaveLength(3);
    for (const text of [banner.textContent, table.textContent]) {
      expect(text).not.toMatch(/QUOTA_EXCEEDED/);
      expect(text).not.toMatch(/Client 1\b/);
    }
  });

  it('a dismissed failed copy is confirmed first, said not to be billed, and can be undone until the next sync', async () => {
    const { s } = await station();
    const id = await loggedInWithClient(s, 'Globex', 2);
    s.agent.station.recordCopy(id, '04B1B1B1');
    s.agent.station.recordCopy(id, '04B2B2B2');
    await adminSetQuota(s.srv, id, 0);
    await s.agent.station.syncNow();
    await openStation();
    await waitFor(() => expect(screen.getByTestId('queue-failed').textContent).toBe('2'));

    await userEvent.click(screen.getByRole('button', { name: 'Dismiss 04B1B1B1' }));
    const dialog = screen.getByRole('dialog', { name: 'Dismiss this failed copy?' });
    expect(dialog.textContent).toMatch(
      /card 04B1B1B1 for Globex will not be sent to the server, so it will not be billed/,
    );
    expect(dialog.textContent).toMatch(/undo this until the next sync/);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(s.agent.station.queue().counts.failed).toBe(2);

    await userEvent.click(screen.getByRole('button', { name: 'Dismiss 04B1B1B1' }));
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss copy' }));
    await waitFor(() => expect(screen.getByTestId('queue-failed').textContent).toBe('1'));
    expect(screen.getByTestId('dismissed').textContent).toMatch(/not be sent or billed/);

    await userEvent.click(screen.getByRole('button', { name: 'Undo' }));
    await waitFor(() => expect(screen.getByTestId('queue-failed').textContent).toBe('2'));
    expect(s.agent.station.queue().counts.failed).toBe(2);

    // Dismissed again, then a sync runs: the undo is gone from the page and the agent refuses it too.
    const uuid = s.agent.station.queue().failed.find((i) => i.uid === '04B1B1B1')!.uuid;
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss 04B1B1B1' }));
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss copy' }));
    await screen.findByTestId('dismissed');
    await userEvent.click(screen.getByRole('button', { name: 'Sync now' }));
    await waitFor(() => expect(screen.queryByTestId('dismissed')).toBeNull());
    expect(screen.getByTestId('queue-failed').textContent).toBe('1');
    expect(() => s.agent.station.undoDismiss(uuid)).toThrow(/can no longer be undone/);
    expect(s.agent.station.queue().counts.failed).toBe(1);
  });

  it('a sync that cannot reach the server leaves "Last sync" where it was and shows one offline state, also in the header', async () => {
    const { s } = await station();
    await loggedInWithClient(s, 'Initech', 5);
    await openStation();
    await waitFor(() => expect(screen.getByTestId('last-sync').textContent).not.toMatch(/never/));
    const before = screen.getByTestId('last-sync').textContent;
    await waitFor(() => expect(screen.getByTestId('header-connection').textContent).toBe('Online'));

    await s.srv.stop();
    await userEvent.click(screen.getByRole('button', { name: 'Sync now' }));
    await screen.findByText(/Sync failed:/);
    await waitFor(() => expect(screen.getByTestId('online-badge').textContent).toBe('Offline'));
    const after = screen.getByTestId('last-sync').textContent!;
    expect(after.startsWith(before!)).toBe(true);
    expect(after).toMatch(/last attempt failed/);
    expect(screen.getByTestId('header-connection').textContent).toBe('Offline');
    expect(screen.queryByTestId('sync-result')).toBeNull();
    // Never "online" next to "unreachable": not on the page, not in the live feed.
    const page = document.body.textContent!;
    expect(page).not.toMatch(/Station online[^\n]*unreachable/);
    expect(screen.getByTestId('offline-note').textContent).toMatch(/server is not reachable/);
  });
});
