// @vitest-environment jsdom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../src-renderer/api/context.js';
import type { LogLine, SettingsView } from '../../src-renderer/api/types.js';
import { EmbeddedServerSection } from '../../src-renderer/pages/settings/embedded-server.js';
import { LogViewer } from '../../src-renderer/pages/settings/log-viewer.js';
import { ProfilesSection } from '../../src-renderer/pages/settings/profiles.js';
import { fakeApi, ok, type FakeApi } from './fake-api.js';

afterEach(cleanup);

const view: SettingsView = {
  active: 'production',
  profiles: [
    {
      name: 'production',
      base_url: 'https://srv.example',
      timeout: 20,
      retries: 3,
      verify_tls: true,
    },
  ],
  heartbeat_interval_sec: 60,
  device_note: '',
  public_ip_url: null,
  embedded_server: { mode: 'off', port: 8787 },
  server_url_overridden: false,
  settings_recovered: null,
};

const withApi = (fake: FakeApi, ui: React.ReactNode) =>
  render(<ApiProvider value={fake.api}>{ui}</ApiProvider>);

describe('settings: profiles', () => {
  it('adds a profile: the form asks for no credential, only where the server is and how to reach it', async () => {
    const fake = fakeApi({
      'settings.get': async () => ok(view),
      'settings.update': async () => ok(view),
    });
    withApi(fake, <ProfilesSection />);
    await userEvent.click(await screen.findByRole('button', { name: 'Add profile' }));
    await userEvent.type(screen.getByLabelText('Name'), 'staging');
    await userEvent.clear(screen.getByLabelText('Base URL'));
    await userEvent.type(screen.getByLabelText('Base URL'), 'http://10.0.0.5:8080');
    await userEvent.click(screen.getByLabelText(/Verify TLS/));
    expect(screen.queryByLabelText(/token/i)).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    await waitFor(() => expect(fake.calls.some((c) => c.channel === 'settings.update')).toBe(true));
    const update = fake.calls.find((c) => c.channel === 'settings.update')?.input as SettingsView;
    expect(update.profiles).toEqual([
      { name: 'production', base_url: 'https://srv.example', timeout: 20, retries: 3, verify_tls: true },
      { name: 'staging', base_url: 'http://10.0.0.5:8080', timeout: 20, retries: 3, verify_tls: false },
    ]);
    expect(fake.calls.map((c) => c.channel)).toEqual(['settings.get', 'settings.update', 'settings.get']);
  });

  it('refuses a second profile with an existing name ("production")', async () => {
    const fake = fakeApi({ 'settings.get': async () => ok(view) });
    withApi(fake, <ProfilesSection />);
    await userEvent.click(await screen.findByRole('button', { name: 'Add profile' }));
    await userEvent.type(screen.getByLabelText('Name'), 'production');
    await userEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect((await screen.findByRole('alert')).textContent).toContain('already exists');
    expect(fake.calls.some((c) => c.channel === 'settings.update')).toBe(false);
  });
});

describe('settings: corrupt settings.json', () => {
  it('shows a banner naming the file, the reason and where the bad file went', async () => {
    const fake = fakeApi({
      'settings.get': async () =>
        ok({
          ...view,
          settings_recovered: {
            path: '/data/settings.json',
            moved_to: '/data/settings.json.corrupt-2026-12-02T07-00-00-000Z',
            reason: 'not valid JSON',
          },
        }),
    });
    withApi(fake, <ProfilesSection />);
    const banner = await screen.findByRole('alert');
    expect(banner.textContent).toContain('/data/settings.json was corrupt (not valid JSON)');
    expect(banner.textContent).toContain('default settings are in use');
    expect(banner.textContent).toContain('settings.json.corrupt-2026-12-02T07-00-00-000Z');
  });

  it('shows no banner when the settings were read cleanly', async () => {
    const fake = fakeApi({ 'settings.get': async () => ok(view) });
    withApi(fake, <ProfilesSection />);
    await screen.findByText('production');
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('settings: embedded server', () => {
  const status = {
    mode: 'off' as const,
    port: 8787,
    running: false,
    url: null,
    agent_points_here: false,
    started_at: null,
    last_error: null,
    admin_available: false,
  };

  it('warns before LAN mode and sends confirm_lan only after the operator ticks the warning', async () => {
    const fake = fakeApi({
      'server.status': async () => ok(status),
      'server.configure': async () => ok({ ...status, mode: 'lan', running: true }),
    });
    withApi(fake, <EmbeddedServerSection />);
    await userEvent.click(await screen.findByLabelText('On for the local network (LAN)'));
    const warning = screen.getByRole('alert');
    expect(warning.textContent).toContain('every machine on your network');
    const apply = screen.getByRole('button', { name: 'Apply' }) as HTMLButtonElement;
    expect(apply.disabled).toBe(true);
    await userEvent.click(within(warning).getByLabelText(/I understand/));
    await userEvent.click(apply);
    await waitFor(() =>
      expect(fake.calls.find((c) => c.channel === 'server.configure')?.input).toEqual({
        mode: 'lan',
        port: 8787,
        confirm_lan: true,
      }),
    );
  });

  it('shows a crash in words with the next attempt, and Restart restarts', async () => {
    const crashed = {
      ...status,
      mode: 'local' as const,
      last_error:
        'Embedded server stopped unexpectedly: port 8787 is in use by another program. Restarting in 4 s (attempt 3).',
      restarting_at: '2026-12-02T14:00:04.000Z',
      crashes: 3,
    };
    const fake = fakeApi({
      'server.status': async () => ok(crashed),
      'server.restart': async () => ok({ ...crashed, running: true, last_error: null, crashes: 0 }),
    });
    withApi(fake, <EmbeddedServerSection />);
    expect((await screen.findByTestId('server-error')).textContent).toContain(
      'port 8787 is in use by another program. Restarting in 4 s (attempt 3).',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Restart the server' }));
    await waitFor(() => expect(fake.calls.some((c) => c.channel === 'server.restart')).toBe(true));
  });

  it('offers no Restart while the server is off', async () => {
    withApi(fakeApi({ 'server.status': async () => ok(status) }), <EmbeddedServerSection />);
    await screen.findByLabelText('On for this machine only (127.0.0.1)');
    expect(screen.queryByRole('button', { name: 'Restart the server' })).toBeNull();
  });

  it('rejects a privileged port ("80")', async () => {
    withApi(fakeApi({ 'server.status': async () => ok(status) }), <EmbeddedServerSection />);
    await userEvent.click(await screen.findByLabelText('On for this machine only (127.0.0.1)'));
    await userEvent.clear(screen.getByLabelText('Port'));
    await userEvent.type(screen.getByLabelText('Port'), '80');
    expect(screen.getByText('Use a port between 1024 and 65535.')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Apply' }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('settings: log viewer', () => {
  const line = (level: LogLine['level'], msg: string): LogLine => ({
    time: '2026-11-22T05:00:00.000Z',
    level,
    name: 'device',
    msg,
  });

  it('asks for the last 500 lines at the chosen level and shows them', async () => {
    const fake = fakeApi({
      'logs.tail': async (input) =>
        ok({
          lines:
            (input as { level: string }).level === 'error'
              ? [line('error', 'heartbeat failed')]
              : [line('info', 'registered'), line('error', 'heartbeat failed')],
          file: '/data/logs/app.log',
        }),
    });
    withApi(fake, <LogViewer />);
    expect((await screen.findByLabelText(/log lines/)).textContent).toContain('registered');
    await userEvent.selectOptions(screen.getByLabelText('Minimum level'), 'error');
    await waitFor(() => expect(screen.getByLabelText(/log lines/).textContent).not.toContain('registered'));
    expect(fake.calls.filter((c) => c.channel === 'logs.tail').map((c) => c.input)).toEqual([
      { lines: 500, level: 'info' },
      { lines: 500, level: 'error' },
    ]);
  });

  it('shows where the logs are when the folder cannot be opened (headless)', async () => {
    withApi(
      fakeApi({
        'logs.tail': async () => ok({ lines: [], file: '/data/logs/app.log' }),
        'app.openLogsFolder': async () => ok({ opened: false, path: '/data/logs' }),
      }),
      <LogViewer />,
    );
    await userEvent.click(await screen.findByRole('button', { name: 'Open logs folder' }));
    expect((await screen.findByText(/cannot open folders/)).textContent).toContain('/data/logs');
  });
});
