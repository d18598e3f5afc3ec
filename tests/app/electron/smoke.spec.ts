/**
 * Smoke test of the packaged desktop app with Playwright's `_electron.launch` (hosted CI, real Electron on
 * Linux/Windows/macOS: .github/workflows/desktop.yml). Runs with `npm run test:electron` after
 * `npm run build:electron` and `electron-builder --dir`; OUTPOST_SMOKE_EXECUTABLE overrides the executable path.
 * Each run gets its own data dir through OUTPOST_USER_DATA (under OUTPOST_SMOKE_DATA_ROOT if set, kept then). The embedded server must be free to take 8787.
 * Linux needs a display (xvfb) and an unlocked Secret Service keyring (the workflow starts gnome-keyring).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

function packagedExecutable(): string {
  if (process.env.OUTPOST_SMOKE_EXECUTABLE) return process.env.OUTPOST_SMOKE_EXECUTABLE;
  const out = join(repo, 'out');
  if (process.platform === 'win32') return join(out, 'win-unpacked', 'Outpost.exe');
  if (process.platform === 'darwin') {
    const dir = readdirSync(out).find((d) => d.startsWith('mac'));
    return join(out, dir ?? 'mac', 'Outpost.app', 'Contents', 'MacOS', 'Outpost');
  }
  return join(out, 'linux-unpacked', 'outpost');
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

interface Answer {
  ok: boolean;
  value?: Record<string, unknown>;
  error?: { code: string };
}

let executable: string;
let dataDir: string;
let app: ElectronApplication;
let page: Page;
const env = () => ({ ...process.env, OUTPOST_USER_DATA: dataDir, ELECTRON_RUN_AS_NODE: '' });
const invoke = (channel: string) =>
  page.evaluate(
    (c) =>
      (window as unknown as { outpost: { invoke(c: string, p: object): Promise<unknown> } }).outpost.invoke(
        c,
        {},
      ),
    channel,
  ) as Promise<Answer>;

beforeAll(async () => {
  executable = packagedExecutable();
  if (!existsSync(executable))
    throw new Error(`no packaged app at ${executable}: run electron-builder --dir first`);
  dataDir = mkdtempSync(join(process.env.OUTPOST_SMOKE_DATA_ROOT ?? tmpdir(), 'outpost-smoke-'));
  app = await electron.launch({ executablePath: executable, env: env(), timeout: 60_000 });
  page = await app.firstWindow({ timeout: 60_000 });
  await page.waitForLoadState('domcontentloaded');
});

afterAll(async () => {
  await app?.close().catch(() => undefined);
  // CI keeps the data dir (its logs are uploaded when a run fails).
  if (dataDir && !process.env.OUTPOST_SMOKE_DATA_ROOT) rmSync(dataDir, { recursive: true, force: true });
});

describe('packaged desktop app', () => {
  it('shows our renderer from the app scheme: sandboxed, isolated, no Node in the page', async () => {
    expect(page.url()).toMatch(/^outpost:\/\/app\/index\.html/);
    // Electron does not hand the options back, so check their effects: a sandboxed renderer (reported on Windows
    // and macOS), no Node in the page, and a preload bridge (contextBridge works only with context isolation).
    const sandboxed = await app.evaluate(({ app: a }) =>
      a
        .getAppMetrics()
        .filter((m) => m.type === 'Tab')
        .map((m) => m.sandboxed),
    );
    expect(sandboxed.filter((s) => s === false)).toEqual([]);
    const globals = await page.evaluate(() => ({
      outpost: typeof (window as unknown as { outpost?: unknown }).outpost,
      shell: typeof (window as unknown as { outpostShell?: unknown }).outpostShell,
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }));
    expect(globals).toEqual({
      outpost: 'object',
      shell: 'object',
      require: 'undefined',
      process: 'undefined',
    });
  });

  it('reports the Electron shell and the OS keyring', async () => {
    const info = await invoke('app.info');
    expect(info.ok).toBe(true);
    expect(info.value).toMatchObject({ shell: 'electron', secret_backend: 'keyring' });
    expect(String(info.value!.electron)).toMatch(/^\d+\./);
  });

  it('runs the embedded server on 127.0.0.1:8787, shown in Settings, and surfaces its admin password once', async () => {
    await expect
      .poll(async () => (await invoke('server.status')).value?.running, { timeout: 60_000 })
      .toBe(true);
    expect((await invoke('server.status')).value).toMatchObject({ url: 'http://127.0.0.1:8787' });
    await expect.poll(() => page.getByTestId('admin-password').count(), { timeout: 30_000 }).toBe(1);
    await page.evaluate(() => (location.hash = '#/settings'));
    await expect
      .poll(() => page.locator('main').innerText(), { timeout: 30_000 })
      .toContain('127.0.0.1:8787');
  });

  it('blocks eval, a foreign WebSocket, window.open and navigation away', async () => {
    const evalResult = await page.evaluate(() => {
      try {
        return String((0, eval)('1 + 1'));
      } catch (e) {
        return e instanceof Error ? e.name : 'blocked';
      }
    });
    expect(evalResult).toBe('EvalError');
    const ws = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          try {
            const s = new WebSocket('ws://127.0.0.1:8787/ws');
            s.onopen = () => resolve('opened');
            s.onerror = () => resolve('blocked');
            s.onclose = () => resolve('blocked');
          } catch {
            resolve('blocked');
          }
        }),
    );
    expect(ws).toBe('blocked');
    expect(await page.evaluate(() => window.open('https://github.com/') === null)).toBe(true);
    await page.evaluate(() => {
      location.href = 'https://example.com/';
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(page.url()).toMatch(/^outpost:\/\/app\//);
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  });

  it('refuses a second instance (no second window)', async () => {
    const second = spawn(executable, [], { env: env(), stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => second.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  });

  it('quits within 10 s, frees the port, leaves both databases and no error in app.log', async () => {
    const started = Date.now();
    const closed = new Promise<void>((resolve) => app.process().once('exit', () => resolve()));
    await app.evaluate(({ app: electronApp }) => electronApp.quit());
    await closed;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await portIsFree(8787)).toBe(true);
    expect(existsSync(join(dataDir, 'station.db'))).toBe(true);
    expect(existsSync(join(dataDir, 'server', 'server.db'))).toBe(true);
    const errors = readFileSync(join(dataDir, 'logs', 'app.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .filter((l) => /"level":"(error|fatal)"/.test(l));
    expect(errors).toEqual([]);
  });
});
