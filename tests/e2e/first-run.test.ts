/**
 * The first run as the README tells a new user to do it: `npm start` (headless here: no Electron binary) on a
 * machine without an OS keyring, driven as real child processes and in a real Chromium.
 * - A start that ends before the agent exists (stopped while it asks where secrets go, or failing to open its
 *   secrets) writes nothing that changes the next start: the retry is still a first start, with the embedded
 *   server, the Admin page and the one-time admin password.
 * - Without a keyring the web UI explains and offers the encrypted file store as an explicit choice, then the
 *   normal first start carries on and shows the admin credentials once, with copy buttons, as what a station
 *   logs in with; a station does log in with them.
 * - A browser without the token gets a page that names the command that was run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BRIDGE_SHELL_PATH, BRIDGE_TOKEN_HEADER } from '../../src-shared/ipc/bridge-protocol.js';
import { startAgentUi, type AgentUi } from './lib/agent-ui.js';
import { browserSkipReason, launchBrowser, openPage, screenshot, type Browser } from './lib/browser.js';
import { freePort } from './lib/free-port.js';

const skip = browserSkipReason();
const dirs: string[] = [];
const running: AgentUi[] = [];
let browser: Browser | undefined;

afterEach(async () => {
  await browser?.close();
  browser = undefined;
  for (const a of running.splice(0)) await a.stop();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'outpost-first-run-'));
  dirs.push(d);
  return d;
}

/** `npm start` as npm runs it, on a machine whose session has no keyring (no reachable D-Bus). */
async function npmStart(dir: string, embeddedPort: number, args: string[] = []): Promise<AgentUi> {
  const ui = await startAgentUi({
    entry: 'src-main/cli/start.ts',
    dataDir: dir,
    args,
    env: {
      npm_lifecycle_event: 'start',
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/outpost-no-bus',
      OUTPOST_EMBEDDED_PORT: String(embeddedPort),
    },
  });
  running.push(ui);
  return ui;
}

async function shellState(ui: AgentUi): Promise<Record<string, unknown>> {
  const res = await fetch(`${ui.origin}${BRIDGE_SHELL_PATH}state`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [BRIDGE_TOKEN_HEADER]: new URL(ui.url).searchParams.get('token')!,
    },
    body: '{}',
  });
  const body = (await res.json()) as { ok: boolean; value: Record<string, unknown> };
  expect(body.ok).toBe(true);
  return body.value;
}

async function until<T>(what: () => Promise<T | undefined>, label: string): Promise<T> {
  const end = Date.now() + 90_000;
  for (;;) {
    const v = await what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stop(ui: AgentUi): Promise<void> {
  running.splice(running.indexOf(ui), 1);
  await ui.stop();
}

const ADMIN_LINE = /Created admin user 'admin' with password \(shown once\): (\S+)/;

describe('first run without a keyring (npm start, real processes)', { timeout: 300_000 }, () => {
  it('a start stopped while it asks writes nothing: the retry with --secrets-file is a first start', async () => {
    const dir = dataDir();
    const port = await freePort();
    const asking = await npmStart(dir, port);
    expect(asking.output()).toContain('The OS keyring is not available');
    expect(asking.output()).toContain('--secrets-file');
    expect(await shellState(asking)).toMatchObject({
      agent: { phase: 'waiting-for-secrets' },
      secrets_choice: { file_path: join(dir, 'secrets.enc'), flag: '--secrets-file' },
    });
    await stop(asking);
    expect(existsSync(join(dir, 'settings.json'))).toBe(false);
    expect(existsSync(join(dir, 'secret-backend.json'))).toBe(false);

    // A start that fails outright (its secrets file is unreadable) writes no settings either.
    writeFileSync(join(dir, 'secrets.enc'), 'not an envelope');
    await expect(npmStart(dir, port, ['--secrets-file'])).rejects.toThrow(/Secrets file .* is not valid/);
    running.splice(0);
    expect(existsSync(join(dir, 'settings.json'))).toBe(false);
    rmSync(join(dir, 'secrets.enc'));

    const first = await npmStart(dir, port, ['--secrets-file']);
    expect(first.output()).toContain(`Embedded server running on http://127.0.0.1:${port}`);
    const password = ADMIN_LINE.exec(first.output())?.[1];
    expect(password).toBeTruthy();
    const state = await until(async () => {
      const s = await shellState(first);
      return s.admin_notice ? s : undefined;
    }, 'the admin notice');
    expect(state).toMatchObject({
      agent: { phase: 'ready' },
      startup: { phase: 'ready' },
      admin_notice: { username: 'admin', password },
    });
    const settings = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as {
      embedded_server: unknown;
      active: string;
    };
    expect(settings).toMatchObject({ embedded_server: { mode: 'local', port }, active: 'embedded' });
  });

  it.skipIf(skip !== null)(
    'the web UI explains, offers the encrypted file, then shows the admin credentials a station logs in with',
    async () => {
      const dir = dataDir();
      const port = await freePort();
      const ui = await npmStart(dir, port);
      browser = await launchBrowser();
      const { page } = browser;
      await page.goto(ui.url);
      const choice = page.getByTestId('secrets-choice');
      await choice.waitFor();
      expect(await choice.textContent()).toContain('no D-Bus session bus is reachable');
      expect(await choice.textContent()).toContain(join(dir, 'secrets.enc'));
      await screenshot(page, 'first-run-secrets-choice');
      expect(existsSync(join(dir, 'settings.json'))).toBe(false);
      await page.getByRole('button', { name: 'Use the encrypted file' }).click();

      // The normal first start: the app, the embedded server, its admin credentials once.
      const panel = page.getByRole('region', { name: 'Embedded server admin account' });
      await panel.waitFor({ timeout: 120_000 });
      expect(await panel.textContent()).toContain('what a station logs in with');
      expect(await page.getByTestId('admin-username').textContent()).toBe('admin');
      const password = (await page.getByTestId('admin-password').textContent()) ?? '';
      expect(ui.output()).toContain(`(shown once): ${password}`);
      await page.getByRole('button', { name: 'Copy user name' }).click();
      await page.getByRole('button', { name: 'Copy password' }).click();
      await page.getByText(/Password copied to the clipboard|select the password/).waitFor();
      await screenshot(page, 'first-run-admin-credentials');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).waitFor();

      // A station logs in with exactly these.
      await page.getByRole('button', { name: 'I have saved it' }).click();
      // Dismissing is a round trip to the app: the panel goes once it answered.
      await page.getByTestId('admin-password').waitFor({ state: 'detached' });
      expect(await page.getByTestId('admin-password').count()).toBe(0);
      await openPage(page, 'Station', 'Copy station');
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('Logged in as admin').waitFor();

      // The choice is remembered for this data dir: the next start does not ask again.
      await browser.close();
      browser = undefined;
      await stop(ui);
      const again = await npmStart(dir, port);
      expect(again.output()).not.toContain('The OS keyring is not available');
      expect(await shellState(again)).toMatchObject({ agent: { phase: 'ready' }, admin_notice: null });
    },
  );

  it.skipIf(skip !== null)('a browser without the token gets a page naming `npm start`', async () => {
    const ui = await npmStart(dataDir(), await freePort(), ['--secrets-file']);
    const res = await fetch(`${ui.origin}/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    browser = await launchBrowser();
    const { page } = browser;
    await page.goto(`${ui.origin}/`);
    expect(await page.getByRole('heading', { name: 'Outpost', level: 1 }).count()).toBe(1);
    expect(await page.getByTestId('launch-command').textContent()).toBe('npm start');
    // Its stylesheet is allowed by the CSP (the page is styled, not bare text).
    const border = await page.evaluate(
      () => getComputedStyle(document.querySelector('.topbar')!).borderBottomStyle,
    );
    expect(border).toBe('solid');
    await screenshot(page, 'no-token-page');
    // Chromium logs the page's own 401 (and the favicon's) as resource errors; nothing else may fail.
    expect(browser.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
