/**
 * End to end: the admin console of the agent's own embedded server. Settings turns the embedded server on for
 * this machine; Admin appears; the admin creates a device (its token shown once), the operator registers this
 * agent with that key and token on the Registration page, and Admin shows the device online.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentUi, type AgentUi } from './lib/agent-ui.js';
import {
  browserSkipReason,
  launchBrowser,
  openPage,
  screenshot,
  waitForTestId,
  type Browser,
} from './lib/browser.js';
import { freePort } from './lib/free-port.js';
import { captureLooks } from './lib/looks.js';

const skip = browserSkipReason();

describe.skipIf(skip !== null)('admin console of the embedded server', () => {
  let agent: AgentUi;
  let browser: Browser;

  beforeAll(async () => {
    // A fresh data dir is a first start: its embedded server gets a free port, not 8787 (which may be taken).
    agent = await startAgentUi({ env: { OUTPOST_EMBEDDED_PORT: String(await freePort()) } });
    browser = await launchBrowser();
    await browser.page.goto(agent.url);
    await browser.page.getByRole('heading', { name: 'Outpost', level: 1 }).waitFor();
    // First start: the embedded server's one-time admin credentials are shown first; the operator saves them.
    const saved = browser.page.getByRole('button', { name: 'I have saved it' });
    await saved.waitFor({ timeout: 60_000 });
    await saved.click();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (agent && process.env.OUTPOST_E2E_VERBOSE) console.log(agent.output());
    await agent?.stop();
  });

  it('turns the embedded server on from Settings, creates a device, registers this agent with it and sees it online', async () => {
    const { page } = browser;
    const port = await freePort();
    await openPage(page, 'Settings', 'Settings');
    await page.getByLabel('On for this machine only (127.0.0.1)').check();
    await page.getByLabel('Port').fill(String(port));
    await page.getByRole('button', { name: 'Apply' }).click();
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Admin' })
      .waitFor({ timeout: 90_000 });
    await screenshot(page, 'settings-embedded-server');

    await openPage(page, 'Admin', 'Server admin');
    await page.getByLabel('New device key (optional)').fill('e2e-kiosk-1');
    await page.getByLabel('Note').fill('front desk');
    await page.getByRole('button', { name: 'Create device' }).click();
    const token = await waitForTestId(page, 'device-token-code', (t) => /^[0-9A-F]{6}$/.test(t));
    await waitForTestId(page, 'device-row-e2e-kiosk-1', (t) => t.includes('offline'));
    await screenshot(page, 'admin-token-shown-once');
    await page.getByRole('button', { name: 'Done, hide the token' }).click();
    expect(await page.getByTestId('device-token').count()).toBe(0);

    await openPage(page, 'Registration', 'Device registration');
    await page.getByLabel('Device key').fill('e2e-kiosk-1');
    await page.getByLabel('Registration token').fill(token);
    await page.getByRole('button', { name: 'Register Device' }).click();
    await waitForTestId(page, 'registration-status', (t) => t.includes('Registered') && !t.includes('Not'));

    await openPage(page, 'Admin', 'Server admin');
    await waitForTestId(
      page,
      'device-row-e2e-kiosk-1',
      (t) => t.includes('online') && !t.includes('offline'),
    );
    await page.getByTestId('activity-chart').waitFor();
    await screenshot(page, 'admin');
  });

  it('creates a client with a quota and tops it up', async () => {
    const { page } = browser;
    await openPage(page, 'Admin', 'Server admin');
    await page.getByLabel('Client name').fill('Globex');
    await page.getByLabel('Quota', { exact: true }).fill('5');
    await page.getByRole('button', { name: 'Create client' }).click();
    await waitForTestId(page, 'quota-remaining-1', (t) => t === '5 / 5 remaining');
    await page.getByLabel('Add copies to Globex').fill('3');
    await page.getByRole('button', { name: 'Top up' }).click();
    await waitForTestId(page, 'quota-remaining-1', (t) => t === '8 / 8 remaining');
  });

  it('generates a license, finds it by search and revokes it', async () => {
    const { page } = browser;
    await openPage(page, 'Admin', 'Server admin');
    await page.getByLabel('Duration (days)').fill('30');
    await page.getByLabel('Description', { exact: true }).fill('e2e admin license');
    await page.getByRole('button', { name: 'Generate license' }).click();
    const key = await waitForTestId(page, 'generated-license', (t) => t.length > 10);
    await page.getByLabel('Search key or description').fill('e2e admin');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const row = page.getByRole('row').filter({ hasText: key });
    await row.waitFor();
    await row.getByRole('button', { name: `Revoke ${key}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await row.filter({ hasText: 'revoked' }).waitFor();
    await screenshot(page, 'admin-licenses');
    // Devices, clients and licenses all listed: the page with the most tables, in both schemes and widths.
    await captureLooks(page, 'admin');
  });
});
