/**
 * End to end in a real Chromium: the operator's console of the headless agent administering a separate fleet
 * server (a real server started here, not the embedded one). Signing in (wrong password and a pasted key, on
 * screen), the device inventory (search, filter, paging, the URL keeping the filter across a reload and Back,
 * CSV export as a download), a device page, a credential the server stops accepting ("Signed out: sign in
 * again"), sign-out, and a server that does not answer.
 */
import { readFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src-main/server/runner.js';
import { startTestServer, TEST_ADMIN, type TestServer } from '../helpers/server.js';
import { startAgentUi, type AgentUi } from './lib/agent-ui.js';
import { browserSkipReason, launchBrowser, screenshot, waitForTestId, type Browser } from './lib/browser.js';

const skip = browserSkipReason();
const DEVICES = 120;
const key = (i: number) => `fleet-${String(i).padStart(3, '0')}`;

describe.skipIf(skip !== null)('operator console for a fleet server', () => {
  let srv: TestServer;
  let restarted: RunningServer | null = null;
  let stopped = false;
  let agent: AgentUi;
  let browser: Browser;

  beforeAll(async () => {
    srv = await startTestServer();
    for (let i = 1; i <= DEVICES; i++) {
      const note = i % 10 === 0 ? 'lobby screen' : 'shop floor';
      const r = await srv.api(
        'POST',
        '/api/admin/devices',
        { device_key: key(i), note },
        { 'x-api-key': srv.apiKey },
      );
      expect(r.status).toBeLessThan(300);
    }
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
    if (stopped || restarted) rmSync(srv.dataDir, { recursive: true, force: true });
    else await srv?.dispose();
  });

  const openConsole = async () => {
    const { page } = browser;
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Admin', exact: true })
      .click();
    await page.getByRole('heading', { name: 'Server admin', level: 2 }).waitFor();
  };

  it('refuses a wrong password on screen, then signs in with username and password, signs out, then signs in with a pasted API key', async () => {
    const { page } = browser;
    await openConsole();
    await page.getByRole('heading', { name: `Sign in to ${srv.url}` }).waitFor();
    await page.getByLabel('Username', { exact: true }).fill(TEST_ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();
    await screenshot(page, 'console-wrong-password');

    await page.getByLabel('Password', { exact: true }).fill(TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForTestId(page, 'console-who', (t) => t.includes(`${TEST_ADMIN.username} (admin)`));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: `Sign in to ${srv.url}` }).waitFor();

    await page.getByLabel('With an API key').check();
    await page.getByLabel('API key', { exact: true }).fill(srv.apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForTestId(page, 'console-who', (t) => t.includes('API key (admin)'));
    // The key went to the keyring, never to settings.json.
    expect(readFileSync(`${agent.dataDir}/settings.json`, 'utf8')).not.toContain(srv.apiKey);
  });

  it('pages, filters and searches the inventory, and the URL keeps the filter across a reload and Back', async () => {
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Devices' }).click();
    await waitForTestId(page, 'inventory-total', (t) => t.includes(`${DEVICES} matching`));
    await waitForTestId(page, 'inventory-page', (t) => t.includes('Page 1 of 3'));
    expect(await page.locator('[data-testid^="inventory-row-"]').count()).toBe(50);

    await page.getByLabel('Sort by').selectOption('device_key:asc');
    await page.getByTestId(`inventory-row-${key(1)}`).waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await waitForTestId(page, 'inventory-page', (t) => t.includes('Page 2 of 3'));
    await page.getByTestId(`inventory-row-${key(51)}`).waitFor();
    expect(page.url()).toContain('page=2');

    await page.getByLabel('State').selectOption('never');
    await page.getByLabel('Search devices').fill('lobby');
    await waitForTestId(page, 'inventory-total', (t) => t.includes('12 matching'));
    expect(page.url()).toMatch(/search=lobby/);
    expect(page.url()).toMatch(/state=never/);
    expect(page.url()).not.toMatch(/page=2/);
    await screenshot(page, 'console-inventory-filtered');

    await page.reload();
    await waitForTestId(page, 'inventory-total', (t) => t.includes('12 matching'));
    expect(await page.getByLabel('Search devices').inputValue()).toBe('lobby');
    expect(await page.getByLabel('State').inputValue()).toBe('never');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await (await download).path();
    const csv = readFileSync(file, 'utf8').trim().split('\n');
    expect(csv).toHaveLength(13);
    expect(csv.slice(1).every((l) => l.includes('lobby'))).toBe(true);

    await page.getByLabel('Search devices').fill('no-such-device');
    await page.getByTestId('inventory-empty').waitFor();
    await page.goBack();
    await waitForTestId(page, 'inventory-total', (t) => t.includes('12 matching'));
  });

  it('opens a device page from the list', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: key(10), exact: true }).click();
    await page.getByRole('heading', { name: `Device ${key(10)}` }).waitFor();
    await waitForTestId(page, 'device-state', (t) => t === 'never');
    await waitForTestId(page, 'device-group', (t) => t.length > 0);
    expect(page.url()).toContain(`#/admin/device/${key(10)}`);
    await screenshot(page, 'console-device');
    await page.goBack();
    await waitForTestId(page, 'inventory-total', (t) => t.includes('12 matching'));
  });

  it('creates groups (the rule in words when refused) and enrolls a batch into one: the download holds tokens that register', async () => {
    const { page } = browser;
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    await page.getByLabel('Group name').fill('lobby');
    await page.getByLabel('Heartbeat interval (seconds)').fill('60');
    await page.getByLabel('Silence threshold (seconds)').fill('30');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'silence_threshold_sec must be at least heartbeat_interval_sec' })
      .waitFor();
    await page.getByLabel('Silence threshold (seconds)').fill('180');
    await page.getByRole('button', { name: 'Create group' }).click();
    await waitForTestId(page, 'group-row-lobby', (t) => t.includes('60 s') && t.includes('180 s'));
    await screenshot(page, 'console-groups');

    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('button', { name: 'Bulk enrollment…' }).click();
    await page.getByLabel('Number of devices').fill('3');
    await page.getByLabel('Key prefix').fill('e2e-bulk-');
    await page.getByLabel('Into group').selectOption({ label: 'lobby' });
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Create devices and download tokens' }).click();
    const rows = readFileSync(await (await download).path(), 'utf8')
      .trim()
      .split('\n');
    expect(rows[0]).toBe('device_key,token_code,token_expires_at');
    expect(rows).toHaveLength(4);
    await page.getByTestId('bulk-result').waitFor();
    await screenshot(page, 'console-bulk-enrolled');
    const [deviceKey, token] = rows[1]!.split(',') as [string, string];
    expect(deviceKey).toBe('e2e-bulk-001');
    const reg = await srv.api('POST', `/api/devices/${deviceKey}/register`, { token_code: token });
    expect(reg.status).toBe(200);
    await page.getByRole('button', { name: 'Done, forget the tokens' }).click();
    expect(await page.getByTestId('bulk-result').count()).toBe(0);

    await page.goto(`${agent.origin}/#/admin/devices?search=e2e-bulk&sort=device_key&order=asc`);
    await waitForTestId(page, 'inventory-total', (t) => t.includes('3 matching'));
    await waitForTestId(
      page,
      `inventory-row-${deviceKey}`,
      (t) => t.includes('lobby') && !t.includes('never'),
    );
  });

  it('says "Signed out: sign in again" when the server stops accepting the key, and signs out', async () => {
    const { page } = browser;
    // The fleet's key changes: the server comes back on the same port with another one.
    const port = Number(new URL(srv.url).port);
    await srv.stop();
    restarted = await startServer({
      host: '127.0.0.1',
      port,
      dataDir: srv.dataDir,
      env: { OUTPOST_API_KEYS: 'rotated-key-0123456789abcdef', OUTPOST_RATE_LIMIT_PER_MIN: '10000' },
    });
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByTestId('console-signed-out').filter({ hasText: 'Signed out: sign in again' }).waitFor();
    await screenshot(page, 'console-signed-out');

    await page.getByLabel('With an API key').check();
    await page.getByLabel('API key', { exact: true }).fill('rotated-key-0123456789abcdef');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForTestId(page, 'console-who', (t) => t.includes('API key'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: `Sign in to ${srv.url}` }).waitFor();
    expect(await page.getByTestId('console-signed-out').count()).toBe(0);
  });

  it('names the server that does not answer', async () => {
    const { page } = browser;
    await restarted?.stop();
    restarted = null;
    stopped = true;
    await page.getByLabel('With an API key').check();
    await page.getByLabel('API key', { exact: true }).fill('rotated-key-0123456789abcdef');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: `The server at ${srv.url} did not answer` })
      .waitFor();
    await screenshot(page, 'console-unreachable');
  });
});
