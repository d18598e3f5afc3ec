// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../src-renderer/api/context.js';
import type { QueueSnapshot, Quota } from '../../src-renderer/api/types.js';
import { QuotaBar } from '../../src-renderer/components/quota-bar.js';
import { normalizeUid } from '../../src-renderer/pages/station/copy-form.js';
import { StationPage } from '../../src-renderer/pages/station/station-page.js';
import { fail, fakeApi, ok, type FakeApi } from './fake-api.js';

afterEach(cleanup);

const quotas: Quota[] = [
  { client_id: 1, name: 'Acme', remaining: 40, total: 100, updated_at: null },
  { client_id: 2, name: 'Globex', remaining: 3, total: 50, updated_at: null },
];

function renderStation(fake: FakeApi) {
  return render(
    <ApiProvider value={fake.api}>
      <StationPage />
    </ApiProvider>,
  );
}

describe('station copy form', () => {
  it('records a copy when a keyboard-wedge reader types the UID and Enter, and keeps focus for the next card', async () => {
    const fake = fakeApi({
      'station.quotas': async () => ok({ quotas }),
      'station.recordCopy': async (input) => {
        const i = input as { client_id: number; uid: string };
        return ok({ uuid: 'u-1', client_id: i.client_id, uid: i.uid, remaining: 39 });
      },
    });
    renderStation(fake);
    await screen.findByTestId('quota-2');
    const uid = screen.getByLabelText(/Card UID/) as HTMLInputElement;
    await userEvent.click(uid);
    await userEvent.keyboard('04ab12cd34{Enter}');
    await waitFor(() =>
      expect(fake.calls.find((c) => c.channel === 'station.recordCopy')?.input).toEqual({
        client_id: 1,
        uid: '04AB12CD34',
      }),
    );
    expect(await screen.findByText('Copy of card 04AB12CD34 recorded for Acme.')).toBeTruthy();
    expect(uid.value).toBe('');
    expect(document.activeElement).toBe(uid);
  });

  it('records for the selected client, with a reader that sends "04:AB:12:CD" separators', async () => {
    const fake = fakeApi({
      'station.quotas': async () => ok({ quotas }),
      'station.recordCopy': async () => ok({ uuid: 'u-2', client_id: 2, uid: '04AB12CD', remaining: 2 }),
    });
    renderStation(fake);
    await screen.findByTestId('quota-2');
    await userEvent.selectOptions(screen.getByLabelText('Client'), '2');
    await userEvent.type(screen.getByLabelText(/Card UID/), '04:ab:12:cd{Enter}');
    await waitFor(() =>
      expect(fake.calls.find((c) => c.channel === 'station.recordCopy')?.input).toEqual({
        client_id: 2,
        uid: '04AB12CD',
      }),
    );
    expect(await screen.findByText('Copy of card 04AB12CD recorded for Globex.')).toBeTruthy();
  });

  it('names the client by id only when the station does not know its name', async () => {
    const fake = fakeApi({
      'station.quotas': async () => ok({ quotas: [] }),
      'station.recordCopy': async () => ok({ uuid: 'u-3', client_id: 7, uid: '04F1F2F3', remaining: 5 }),
    });
    renderStation(fake);
    await userEvent.type(await screen.findByPlaceholderText('client id'), '7');
    await userEvent.type(screen.getByLabelText(/Card UID/), '04f1f2f3{Enter}');
    expect(await screen.findByText('Copy of card 04F1F2F3 recorded for client #7.')).toBeTruthy();
  });

  it('does not submit an empty UID (Enter alone)', async () => {
    const fake = fakeApi({ 'station.quotas': async () => ok({ quotas }) });
    renderStation(fake);
    await screen.findByTestId('quota-1');
    await userEvent.type(screen.getByLabelText(/Card UID/), '{Enter}');
    expect(fake.calls.some((c) => c.channel === 'station.recordCopy')).toBe(false);
  });

  it('shows the reason and what to do when the quota is exhausted (QUOTA_EXCEEDED)', async () => {
    renderStation(
      fakeApi({
        'station.quotas': async () => ok({ quotas }),
        'station.recordCopy': async () => fail('QUOTA_EXCEEDED', 'Client Acme has no copies left'),
      }),
    );
    await screen.findByTestId('quota-1');
    await userEvent.type(screen.getByLabelText(/Card UID/), '04AB12CD{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Copy not recorded');
    expect(alert.textContent).toContain('Client Acme has no copies left');
    expect(alert.textContent).toContain('top up');
  });

  it('normalizes UIDs from different readers', () => {
    expect(normalizeUid(' 04:ab:12-cd 34 ')).toBe('04AB12CD34');
  });
});

describe('quota bars', () => {
  it('shows remaining / total and a meter with those values', () => {
    render(
      <QuotaBar quota={{ client_id: 7, name: 'Initech', remaining: 25, total: 100, updated_at: null }} />,
    );
    expect(screen.getByText('25 / 100 remaining')).toBeTruthy();
    const meter = screen.getByRole('meter', { name: 'Initech (#7) quota remaining' });
    expect(meter.getAttribute('aria-valuenow')).toBe('25');
    expect(meter.getAttribute('aria-valuemax')).toBe('100');
    expect((meter.firstChild as HTMLElement).style.width).toBe('25%');
  });

  it('clamps a negative remaining (local overdraft) to an empty bar', () => {
    render(<QuotaBar quota={{ client_id: 8, name: null, remaining: -2, total: 10, updated_at: null }} />);
    expect(screen.getByText('-2 / 10 remaining')).toBeTruthy();
    const meter = screen.getByRole('meter');
    expect(meter.getAttribute('aria-valuenow')).toBe('0');
    expect((meter.firstChild as HTMLElement).style.width).toBe('0%');
  });

  it('says when the total is not known yet (total null before the first pull)', () => {
    render(<QuotaBar quota={{ client_id: 9, name: null, remaining: 5, total: null, updated_at: null }} />);
    expect(screen.getByText('5 remaining (total not synced yet)')).toBeTruthy();
  });

  it('renders one bar per client on the station page', async () => {
    renderStation(fakeApi({ 'station.quotas': async () => ok({ quotas }) }));
    expect((await screen.findByTestId('quota-1')).textContent).toContain('40 / 100 remaining');
    expect(screen.getByTestId('quota-2').textContent).toContain('3 / 50 remaining');
  });
});

describe('queue with failed items', () => {
  const snapshot: QueueSnapshot = {
    counts: { pending: 2, synced: 5, failed: 1 },
    failed: [
      {
        uuid: 'f-1',
        type: 'copy',
        client_id: 1,
        uid: '04DEAD01',
        status: 'failed',
        error: 'QUOTA_EXCEEDED: no copies left',
        attempts: 3,
        created_at: '2026-11-22T04:00:00.000Z',
      },
    ],
    pending: [],
  };

  it.each([
    [{ synced: 2, failed: 1 }, 'alert-warn', 'Sync partly failed', true],
    [{ synced: 3, failed: 0 }, 'alert-ok', 'Sync finished', false],
  ] as const)('a sync with %o is shown as %s ("%s")', async (counts, tone, title, listsReasons) => {
    renderStation(
      fakeApi({
        'station.queue': async () => ok(snapshot),
        'station.quotas': async () => ok({ quotas }),
        'station.syncNow': async () => ok({ pushed: 3, ...counts, quotas_updated: false }),
      }),
    );
    await screen.findByTestId('quota-1');
    await userEvent.click(screen.getByRole('button', { name: 'Sync now' }));
    const banner = await screen.findByTestId('sync-result');
    expect(banner.className).toContain(tone);
    expect(banner.textContent).toContain(title);
    expect(banner.textContent).toContain(`${counts.synced} synced, ${counts.failed} failed`);
    expect(banner.textContent!.includes('Acme: no copies left for this client on the server (1 copy)')).toBe(
      listsReasons,
    );
  });

  it('shows the counts and each failed operation with its reason', async () => {
    renderStation(fakeApi({ 'station.queue': async () => ok(snapshot) }));
    // The panel renders zero counts before the first station.queue answer arrives, so wait for it.
    await waitFor(() => expect(screen.getByTestId('queue-pending').textContent).toBe('2'));
    await waitFor(() => expect(screen.getByTestId('queue-failed').textContent).toBe('1'));
    expect(screen.getByTestId('queue-synced').textContent).toBe('5');
    const table = screen.getByRole('table', { name: 'Failed operations' });
    expect(within(table).getByText('04DEAD01')).toBeTruthy();
    // The reason in words (the stored code stays available on hover).
    expect(within(table).getByText('no copies left for this client on the server')).toBeTruthy();
    expect(within(table).queryByText(/QUOTA_EXCEEDED/)).toBeNull();
  });

  it('retries and dismisses a failed operation by its uuid', async () => {
    const fake = fakeApi({
      'station.queue': async () => ok(snapshot),
      'station.retry': async () => ok(snapshot),
      'station.dismiss': async () => ok(snapshot),
    });
    renderStation(fake);
    await userEvent.click(await screen.findByRole('button', { name: 'Retry 04DEAD01' }));
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss 04DEAD01' }));
    // Dismissing asks first and says the copy will not be billed.
    expect(screen.getByText(/will not be billed/)).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss copy' }));
    await waitFor(() => {
      expect(fake.calls.find((c) => c.channel === 'station.retry')?.input).toEqual({ uuid: 'f-1' });
      expect(fake.calls.find((c) => c.channel === 'station.dismiss')?.input).toEqual({ uuid: 'f-1' });
    });
  });

  it('shows the offline badge and refreshes counts on a station.status event (no reload)', async () => {
    let pending = 0;
    const fake = fakeApi({
      'station.status': async () =>
        ok({
          online: false,
          logged_in: true,
          login_needed: false,
          username: 'op',
          syncing: false,
          last_sync_at: null,
          last_attempt: null,
          last_error: 'connect ECONNREFUSED',
          pending,
          failed: 0,
          server_url: 'http://127.0.0.1:9',
        }),
      'station.queue': async () => ok({ counts: { pending, synced: 0, failed: 0 }, failed: [], pending: [] }),
    });
    renderStation(fake);
    await waitFor(() => expect(screen.getByTestId('online-badge').textContent).toBe('Offline'));
    pending = 3;
    fake.emit({
      type: 'station.status',
      data: {
        online: false,
        logged_in: true,
        login_needed: false,
        username: 'op',
        syncing: false,
        last_sync_at: null,
        last_attempt: null,
        last_error: null,
        pending: 3,
        failed: 0,
        server_url: 'x',
      },
    });
    await waitFor(() => expect(screen.getByTestId('queue-pending').textContent).toBe('3'));
  });

  it('offers a login before the first one (logged out, no session yet)', async () => {
    renderStation(
      fakeApi({
        'station.status': async () =>
          ok({
            online: true,
            logged_in: false,
            login_needed: false,
            username: null,
            syncing: false,
            last_sync_at: null,
            last_attempt: null,
            last_error: null,
            pending: 0,
            failed: 0,
            server_url: 'x',
          }),
      }),
    );
    expect(await screen.findByText('Log in to sync')).toBeTruthy();
  });

  it('shows the login form when the agent says a login is needed', async () => {
    const fake = fakeApi({
      'station.status': async () =>
        ok({
          online: true,
          logged_in: false,
          login_needed: true,
          username: null,
          syncing: false,
          last_sync_at: null,
          last_attempt: null,
          last_error: null,
          pending: 0,
          failed: 0,
          server_url: 'x',
        }),
      'station.login': async () => fail('INVALID_CREDENTIALS', 'Invalid username or password'),
    });
    renderStation(fake);
    await userEvent.type(await screen.findByLabelText('Username'), 'op');
    await userEvent.type(screen.getByLabelText('Password'), 'wrong');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Invalid username or password');
    expect((screen.getByLabelText('Password') as HTMLInputElement).value).toBe('');
  });
});

describe('live event feed', () => {
  const status = (pending: number) => ({
    type: 'station.status' as const,
    data: {
      online: false,
      logged_in: true,
      login_needed: false,
      username: 'op',
      syncing: false,
      last_sync_at: null,
      last_attempt: null,
      last_error: null,
      pending,
      failed: 0,
      server_url: 'x',
    },
  });

  it('shows realtime events and status changes as sentences, dropping repeats of the same status', async () => {
    const fake = fakeApi();
    renderStation(fake);
    await screen.findByText('No events yet.');
    act(() => {
      fake.emit(status(1));
      fake.emit(status(1));
      fake.emit({
        type: 'realtime',
        data: { event: 'quota_updated', data: { client_id: 1, name: 'Acme', remaining: 9, total: 10 } },
      });
      fake.emit({
        type: 'realtime',
        data: { event: 'copy_completed', data: { count: 1, copies: [{ id: 1, client_id: 1, uid: '04A1' }] } },
      });
      fake.emit(status(2));
    });
    const feed = await screen.findByRole('log');
    const lines = within(feed)
      .getAllByRole('listitem')
      .map((li) => li.textContent ?? '');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('Station offline: 2 copies waiting, 0 failed');
    expect(lines[1]).toContain('Copy completed for Acme (9 left)');
    expect(lines[2]).toContain('Quota for Acme: 9 of 10 copies left');
    expect(lines[3]).toContain('Station offline: 1 copy waiting, 0 failed');
    // Each line starts with its local time of day; no JSON anywhere.
    for (const line of lines) expect(line).toMatch(/^\d{2}:\d{2}:\d{2} /);
    expect(feed.textContent).not.toMatch(/[{}"]/);
  });
});
