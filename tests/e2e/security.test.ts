/**
 * Security end to end, in a real Chromium against the real headless agent (`agent --ui`) and its real embedded
 * server: the renderer context has no Node (`require`, `process`, `module`, `Buffer`), the bridge cookie is out of
 * reach of page scripts, and no bridge answer or event frame carries a secret — the device secret (after a real
 * registration), the station JWT (after a real login) or the embedded server's admin API key (after admin calls).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_NAMES } from '../../src-shared/ipc/channels.js';
import { EMBEDDED_API_KEY_ACCOUNT } from '../../src-main/agent/admin/embedded-server.js';
import { openSecretStore, SECRET_ACCOUNTS } from '../../src-main/agent/secrets/secret-store.js';
import { startAgentUi, type AgentUi } from './lib/agent-ui.js';
import { browserSkipReason, launchBrowser, screenshot, type Browser } from './lib/browser.js';
import { freePort } from './lib/free-port.js';

const skip = browserSkipReason();

type Answer = { ok: boolean; value?: unknown; error?: { code: string; message: string } };

describe.skipIf(skip !== null)('security: renderer context and bridge answers', () => {
  let agent: AgentUi;
  let browser: Browser;
  let dataDir: string;
  const service = `outpost-e2e-sec-${process.pid}-${Date.now()}`;
  const bodies: string[] = [];
  const frames: string[] = [];
  const cspViolations: string[] = [];

  /** Calls the bridge from inside the page (same origin, cookie auth) like the renderer does. */
  const call = (channel: string, payload: unknown = {}) =>
    browser.page.evaluate(
      async ([ch, body]) => {
        const res = await fetch(`/bridge/invoke/${ch}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return (await res.json()) as Answer;
      },
      [channel, payload] as const,
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'outpost-e2e-sec-'));
    // Standalone with the embedded server on a free port (not the default 8787, which may be taken).
    mkdirSync(join(dataDir, 'agent'), { recursive: true });
    writeFileSync(
      join(dataDir, 'agent', 'settings.json'),
      JSON.stringify({ embedded_server: { mode: 'local', port: await freePort() } }),
    );
    agent = await startAgentUi({
      dataDir: join(dataDir, 'agent'),
      env: { OUTPOST_KEYRING_SERVICE: service },
    });
    browser = await launchBrowser();
    const { page } = browser;
    page.on('response', (res) => {
      if (res.url().includes('/bridge/'))
        void res.text().then(
          (t) => bodies.push(t),
          () => undefined,
        );
    });
    page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(agent.url);
    await page.getByRole('heading', { name: 'Outpost', level: 1 }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (agent && process.env.OUTPOST_E2E_VERBOSE) console.log(agent.output());
    await agent?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('the page has no Node: no require, process, module, Buffer, global; no window.outpost on the web', async () => {
    const globals = await browser.page.evaluate(() => ({
      require: typeof (globalThis as Record<string, unknown>).require,
      process: typeof (globalThis as Record<string, unknown>).process,
      module: typeof (globalThis as Record<string, unknown>).module,
      Buffer: typeof (globalThis as Record<string, unknown>).Buffer,
      global: typeof (globalThis as Record<string, unknown>).global,
      outpost: typeof (globalThis as Record<string, unknown>).outpost,
      cookie: document.cookie,
    }));
    expect(globals).toEqual({
      require: 'undefined',
      process: 'undefined',
      module: 'undefined',
      Buffer: 'undefined',
      global: 'undefined',
      outpost: 'undefined',
      // HttpOnly: the bridge token is not readable by page scripts.
      cookie: '',
    });
    expect(new URL(browser.page.url()).searchParams.has('token')).toBe(false);
  });

  it('after registering, logging in and admin calls, no bridge answer or event frame holds a secret', async () => {
    // Admin creates this device on the embedded server; the agent registers with it (device secret → keyring).
    const created = await call('admin.devices.create', { device_key: 'e2e-sec-1', note: 'security test' });
    expect(created.ok).toBe(true);
    const token = (created.value as { token_code: string }).token_code;
    const reg = await call('device.register', { token, device_key: 'e2e-sec-1' });
    expect(reg).toMatchObject({ ok: true, value: { registered: true, device_key: 'e2e-sec-1' } });
    expect((await call('device.heartbeatNow')).ok).toBe(true);

    // Station login with the embedded server's bootstrap admin (JWT → keyring).
    const password = /Created admin user '([^']+)' with password \(shown once\): (\S+)/.exec(agent.output());
    expect(password, 'the embedded server printed its bootstrap admin once').not.toBeNull();
    const login = await call('station.login', { username: password![1], password: password![2] });
    expect(login.ok, JSON.stringify(login.error)).toBe(true);

    // Every read-only channel, plus admin reads that use the API key.
    const reads = CHANNEL_NAMES.filter((c) =>
      /\.(status|get|info|queue|quotas|ownKey|list|stats|tail)$/.test(c),
    );
    for (const ch of reads) await call(ch);
    await screenshot(browser.page, 'security-after-calls');

    const store = await openSecretStore({ dataDir: agent.dataDir, service });
    const secrets = {
      device_secret: await store.get(SECRET_ACCOUNTS.deviceSecret),
      jwt: await store.get(SECRET_ACCOUNTS.jwt),
      api_key: await store.get(EMBEDDED_API_KEY_ACCOUNT),
    };
    expect(secrets.device_secret, 'registration stored a device secret').toBeTruthy();
    expect(secrets.api_key, 'the embedded server has an admin API key').toBeTruthy();
    expect(secrets.jwt, 'login stored a JWT').toBeTruthy();

    const html = await browser.page.content();
    const seen = [...bodies, ...frames, html].join('\n');
    expect(bodies.length).toBeGreaterThan(reads.length);
    for (const [name, value] of Object.entries(secrets)) {
      if (value) expect(seen.includes(value), `${name} leaked to the page`).toBe(false);
    }
    // The embedded server's one-time admin credentials are the one thing the shell state hands the page on
    // purpose (shown once, until the operator dismisses them); nothing else may carry a secret-like key.
    const withoutNotice = seen.replace(
      /"admin_notice":\{"username":"[^"]*","password":"[^"]*"\}/g,
      '"admin_notice":{}',
    );
    expect(withoutNotice).not.toMatch(/"(device_secret|jwt|api_key|access_token|password)"\s*:/);
    // The strict CSP (no inline script/style) does not break the renderer.
    expect(cspViolations).toEqual([]);
  });
});
