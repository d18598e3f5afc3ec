/**
 * End to end in a real Chromium: the real embedded server (in-process, real SQLite), the real headless agent
 * with its web UI (`npm run agent -- --ui`, a child process), the built renderer. One operator session in
 * order: register with a token from the admin API, Test Heartbeat; station copies while the server is down and
 * their sync after it comes back (no reload); license activation; settings. Screenshots of every page go to
 * screenshots/ (each page also in light and dark, 1280 and 390 px wide, under screenshots/pages/).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src-main/server/runner.js';
import { startTestServer, TEST_ADMIN, TEST_API_KEY, request, type TestServer } from '../helpers/server.js';
import { startAgentUi, type AgentUi } from './lib/agent-ui.js';
import {
  browserSkipReason,
  launchBrowser,
  openPage,
  screenshot,
  waitForTestId,
  type Browser,
} from './lib/browser.js';
import { captureLooks, expectScheme, measureLayout } from './lib/looks.js';
import { startServerOnPort } from './lib/server-restart.js';

const skip = browserSkipReason();
/** "6 / 10 remaining" or "6 remaining (total not synced yet)" → 6 */
const remaining = (text: string): number => Number(/^(-?\d+)/.exec(text.trim())?.[1] ?? NaN);
const admin = { 'x-api-key': TEST_API_KEY };

describe.skipIf(skip !== null)('headless agent web UI against the real server', () => {
  let srv: TestServer;
  let restarted: RunningServer | null = null;
  let srvStopped = false;
  let baseUrl: string;
  let agent: AgentUi;
  let browser: Browser;

  const api = (method: string, path: string, body?: unknown) => request(baseUrl, method, path, body, admin);

  beforeAll(async () => {
    srv = await startTestServer();
    baseUrl = srv.url;
    agent = await startAgentUi({ serverUrl: srv.url });
    browser = await launchBrowser();
    await browser.page.goto(agent.url);
    await browser.page.getByRole('heading', { name: 'Outpost', level: 1 }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (agent && process.env.OUTPOST_E2E_VERBOSE) console.log(agent.output());
    await agent?.stop();
    await restarted?.stop();
    if (srvStopped) rmSync(srv.dataDir, { recursive: true, force: true });
    else await srv?.dispose();
  });

  it('registers with a token from the admin API, shows Registered and the device key, and Test Heartbeat succeeds', async () => {
    const { page } = browser;
    const created = await api('POST', '/api/admin/devices', { note: 'e2e kiosk' });
    expect(created.status).toBeLessThan(300);
    const { device_key: deviceKey, token_code: token } = created.body as {
      device_key: string;
      token_code: string;
    };

    await openPage(page, 'Registration', 'Device registration');
    await waitForTestId(page, 'registration-status', (t) => t.includes('Not registered'));
    await screenshot(page, 'registration-unregistered');

    const keyField = page.getByLabel('Device key');
    await keyField.fill(deviceKey);
    await page.getByLabel('Registration token').pressSequentially(token.toLowerCase());
    expect(await page.getByLabel('Registration token').inputValue()).toBe(token.toUpperCase());
    await page.getByRole('button', { name: 'Register Device' }).click();

    await waitForTestId(page, 'registration-status', (t) => t.includes('Registered') && !t.includes('Not'));
    expect(await keyField.inputValue()).toBe(deviceKey);
    expect(await keyField.getAttribute('readonly')).not.toBeNull();
    expect(await page.getByLabel('Registration token').isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Copy' }).waitFor();

    await page.getByRole('button', { name: 'Test Heartbeat' }).click();
    const result = await waitForTestId(page, 'heartbeat-result', (t) => t.startsWith('Heartbeat'));
    expect(result).toContain('Heartbeat ok');
    expect(result).toMatch(/\(\d+ ms\)/);
    await waitForTestId(page, 'heartbeat-status', (t) => t.includes('Heartbeat: Active ✓'));
    await screenshot(page, 'registration-registered');
    await captureLooks(page, 'registration');

    const devices = await api('GET', '/api/admin/devices');
    expect(JSON.stringify(devices.body)).toContain(deviceKey);
  });

  it('queues copies while the server is down (badge offline, queue grows) and drains them after restart, quotas updating without reload', async () => {
    const { page } = browser;
    const client = await api('POST', '/api/admin/clients', { name: 'Acme', quota: 10 });
    expect(client.status).toBe(201);
    const clientId = (client.body as { data: { id: number } }).data.id;

    await openPage(page, 'Station', 'Copy station');
    await waitForTestId(page, 'online-badge', (t) => t === 'Online');
    await page.getByLabel('Username').fill(TEST_ADMIN.username);
    await page.getByLabel('Password').fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Username').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Sync now' }).click();
    await waitForTestId(
      page,
      `quota-remaining-${clientId}`,
      (t) => remaining(t) === 10,
      'quota after first sync',
    );

    // One copy online: it syncs.
    const uid = page.getByLabel(/Card UID/);
    await uid.fill('04A1B2C3');
    await uid.press('Enter');
    await page.getByText('Copy of card 04A1B2C3 recorded').waitFor();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await waitForTestId(page, 'queue-synced', (t) => Number(t) >= 1);
    await waitForTestId(page, 'queue-pending', (t) => t === '0');
    // The server's copy_completed reaches the live feed as a sentence with the client's name, not as JSON.
    const feed = page.getByTestId('event-feed');
    await feed.getByText(/Copy completed for Acme \(9 left\)/).waitFor();
    expect(await feed.textContent()).not.toMatch(/[{}"]/);
    await screenshot(page, 'station-online');

    // Server down: the badge goes offline and copies queue up locally.
    const port = Number(new URL(srv.url).port);
    await srv.stop();
    srvStopped = true;
    try {
      await waitForTestId(page, 'online-badge', (t) => t === 'Offline', 'badge after server stop');
      for (const card of ['04D1D2D3', '04E1E2E3', '04F1F2F3']) {
        await uid.fill(card);
        await uid.press('Enter');
        await page.getByText(`Copy of card ${card} recorded`).waitFor();
      }
      await waitForTestId(page, 'queue-pending', (t) => t === '3', 'pending after 3 offline copies');
      await waitForTestId(
        page,
        `quota-remaining-${clientId}`,
        (t) => remaining(t) === 6,
        'local quota after 4 copies',
      );
      await screenshot(page, 'station-offline');
    } finally {
      // Server back on the same port with the same data (also when an assertion above failed, for the next tests).
      restarted = await startServerOnPort(srv.dataDir, port);
    }
    // The queue drains and quotas update, no reload.
    await waitForTestId(page, 'online-badge', (t) => t === 'Online', 'badge after restart');
    await waitForTestId(page, 'queue-pending', (t) => t === '0', 'pending after restart');
    await waitForTestId(page, 'queue-synced', (t) => Number(t) >= 4);
    await waitForTestId(
      page,
      `quota-remaining-${clientId}`,
      (t) => remaining(t) === 6,
      'quota after the drain',
    );
    const copies = await api('GET', '/api/admin/clients');
    const acme = (copies.body as { data: { id: number; remaining: number }[] }).data.find(
      (c) => c.id === clientId,
    );
    expect(acme?.remaining).toBe(6);
    await screenshot(page, 'station-synced');
    await captureLooks(page, 'station');
  });

  it('activates a license generated by the admin API, shows its expiry countdown, and deactivates it', async () => {
    const { page } = browser;
    const gen = await api('POST', '/api/licenses/generate', { duration_days: 30, description: 'e2e' });
    expect(gen.status).toBe(201);
    const key = (gen.body as { data: { license_key: string } }).data.license_key;

    await openPage(page, 'License', 'License');
    await page.getByLabel('License key').fill(key);
    await page.getByLabel('Email').fill('operator@example.com');
    await page.getByRole('button', { name: 'Activate' }).click();
    await waitForTestId(page, 'license-key', (t) => t === key);
    const countdown = await waitForTestId(page, 'license-countdown', (t) => t.includes('Expires in'));
    expect(countdown).toMatch(/Expires in (29|30) d/);
    await screenshot(page, 'license');
    await captureLooks(page, 'license');

    await page.getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Deactivate' }).click();
    await page.getByRole('button', { name: 'Activate' }).waitFor();
    // The key goes with the license (a status event may still be in flight when the form reappears).
    await page.getByTestId('license-key').waitFor({ state: 'detached', timeout: 5000 });
    expect(await page.getByTestId('license-key').count()).toBe(0);
  });

  it('shows settings: the active profile, the log viewer and the version', async () => {
    const { page } = browser;
    await openPage(page, 'Settings', 'Settings');
    await page.getByRole('heading', { name: 'Server profiles' }).waitFor();
    await waitForTestId(page, 'app-version', (t) => /\d+\.\d+\.\d+/.test(t));
    await page.getByLabel('Minimum level').selectOption('debug');
    await page.getByLabel(/log lines/).waitFor();
    await screenshot(page, 'settings');
    await captureLooks(page, 'settings');
  });

  it('shows log lines in local time, like every other time on screen', async () => {
    const { page } = browser;
    await openPage(page, 'Settings', 'Settings');
    const logs = page.getByLabel(/log lines/);
    await logs.waitFor();
    const first = ((await logs.textContent()) ?? '').split('\n')[0] ?? '';
    // The agent writes ISO UTC ("2026-12-02T12:00:00.000Z"); the viewer shows the local clock ("13:00:00").
    expect(first).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    expect(first).toMatch(/^(\S.*, )?\d{2}:\d{2}:\d{2} /);
  });

  it('has the app icon as favicon, served by the web UI under its CSP', async () => {
    const { page } = browser;
    const href = await page.locator('link[rel="icon"]').getAttribute('href');
    expect(href).toBeTruthy();
    const icon = await page.evaluate(async (h) => {
      const r = await fetch(new URL(h, location.href));
      const bytes = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), magic: [...bytes.slice(1, 4)] };
    }, href!);
    expect(icon).toEqual({ status: 200, type: 'image/png', magic: [0x50, 0x4e, 0x47] }); // "PNG"
    expect(browser.errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });

  it('switches theme by hand: Dark over a light OS, kept after a reload, System follows the OS again', async () => {
    const { page } = browser;
    const theme = page.getByLabel('Theme');
    try {
      await page.emulateMedia({ colorScheme: 'light' });
      expectScheme(await measureLayout(page), 'light', 'system theme, light OS');
      await theme.selectOption('dark');
      const dark = await measureLayout(page);
      expect(dark.theme).toBe('dark');
      expectScheme(dark, 'dark', 'Dark chosen, light OS');

      await page.reload();
      await page.getByRole('heading', { name: 'Outpost', level: 1 }).waitFor();
      expect(await page.getByLabel('Theme').inputValue()).toBe('dark');
      expectScheme(await measureLayout(page), 'dark', 'Dark chosen, after reload');

      await page.getByLabel('Theme').selectOption('light');
      await page.emulateMedia({ colorScheme: 'dark' });
      expectScheme(await measureLayout(page), 'light', 'Light chosen, dark OS');

      await page.getByLabel('Theme').selectOption('system');
      const system = await measureLayout(page);
      expect(system.theme).toBeNull();
      expectScheme(system, 'dark', 'System chosen, dark OS');
    } finally {
      await page.getByLabel('Theme').selectOption('system');
      await page.emulateMedia({ colorScheme: null });
    }
  });

  it('stays readable at 200 % zoom: no horizontal scrolling on any page at half the width', async () => {
    const { page } = browser;
    // 200 % zoom of the 1280×900 window = a 640×450 CSS-pixel viewport at device scale 2.
    await page.setViewportSize({ width: 640, height: 450 });
    try {
      for (const [label, heading, shot] of [
        ['Registration', 'Device registration', 'zoom200-registration'],
        ['Station', 'Copy station', 'zoom200-station'],
        ['License', 'License', 'zoom200-license'],
        ['Settings', 'Settings', 'zoom200-settings'],
      ] as const) {
        await openPage(page, label, heading);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${label} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
        await screenshot(page, shot);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });
});
