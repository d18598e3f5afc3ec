/**
 * Boots the real compiled desktop main process (src-main/main.ts → tsc → main.js) under plain Node, with
 * 'electron' resolved to a stub by a loader hook and utilityProcess.fork backed by child_process.fork: the real
 * agent, the real embedded server on an ephemeral port, real files in a temp data dir. Checks what can be checked
 * without the Electron binary: the import graph, the bootstrap order, the window's webPreferences and URL, the
 * IPC trust check, the first-start admin notice, the app scheme, permissions, and the graceful shutdown.
 * (Electron itself — rendering, the sandbox, the real utilityProcess — is the hosted-CI smoke test's job:
 * tests/electron/smoke.spec.ts.)
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppInfo, ServerStatus } from '../../src-shared/ipc/channels.js';
import type { ShellState } from '../../src-shared/ipc/shell-state.js';
import type { Result } from '../../src-shared/result.js';
import { keyringServiceFor } from '../../src-main/agent/secrets/keyring-store.js';
import { openSecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { BootedApp, buildApp, type JournalEntry } from './boot/boot-harness.js';

const APP_URL = 'outpost://app/index.html';
// No Secret Service for these runs: the shell must choose (and record) safeStorage, deterministically.
const NO_KEYRING = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/outpost-boot-test' };

let appRoot: string;
let dataDir: string;

beforeAll(() => {
  appRoot = buildApp();
  dataDir = mkdtempSync(join(tmpdir(), 'outpost-boot-data-'));
}, 120_000);

afterAll(() => {
  rmSync(appRoot, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

const idx = (e: JournalEntry) => e.seq;

describe('desktop main process booted against the electron stub', () => {
  let booted: BootedApp;
  let winId: number;
  const ours = (channel: string, payload?: unknown) =>
    booted.command<Result<unknown>>({ cmd: 'invoke', channel, senderId: winId, url: APP_URL, payload });

  beforeAll(async () => {
    booted = new BootedApp(appRoot, ['--data-dir', dataDir, '--port', '0'], NO_KEYRING);
    const created = await booted.waitFor((e) => e.type === 'window.created', 'the window');
    winId = created.id as number;
    await booted.waitFor(
      (e) =>
        e.type === 'webContents.send' &&
        e.channel === 'outpost:shell.changed' &&
        (e.payload as ShellState).startup.phase !== 'starting',
      'the end of start-up',
    );
  }, 120_000);

  afterAll(() => booted.kill());

  it('runs the bootstrap in order: scheme and data dir before ready, hardening and IPC before the window, window and tray before the server', () => {
    const setPath = booted.first('app.setPath');
    expect(setPath).toMatchObject({ name: 'userData', value: dataDir });
    const schemes = booted.first('protocol.registerSchemesAsPrivileged');
    expect(schemes.afterReady).toBe(false);
    expect(schemes.schemes).toEqual([
      {
        scheme: 'outpost',
        privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
      },
    ]);
    const order = [
      setPath,
      booted.first('app.requestSingleInstanceLock'),
      booted.first('app.ready'),
      booted.first('session.setPermissionRequestHandler'),
      booted.first('protocol.handle', (e) => e.scheme === 'outpost'),
      booted.first('ipc.handle', (e) => e.channel === 'outpost:app.info'),
      booted.first('ipc.handle', (e) => e.channel === 'outpost:shell.state'),
      booted.first('window.created'),
      booted.first('window.loadURL'),
      booted.first('tray.created'),
      booted.first('utility.fork'),
    ].map(idx);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(schemes.seq).toBeLessThan(booted.first('app.ready').seq);
  });

  it('opens one window with the secure webPreferences on the app scheme, shown only at ready-to-show', () => {
    expect(booted.of('window.created')).toHaveLength(1);
    const { options } = booted.first('window.created') as { options: Record<string, unknown> } & JournalEntry;
    expect(options.show).toBe(false);
    expect(options.webPreferences).toMatchObject({
      preload: join(appRoot, 'dist/preload/preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      webviewTag: false,
    });
    expect(booted.first('window.loadURL').url).toBe(APP_URL);
    const shows = booted.of('window.show');
    expect(shows.length).toBeGreaterThan(0);
    expect(shows.every((s) => s.readyToShowFired === true)).toBe(true);
  });

  it('gives the tray the agent state from its first render', () => {
    const tips = booted.of('tray.tooltip');
    expect(tips.length).toBeGreaterThan(0);
    expect(tips[0]!.seq).toBeGreaterThan(booted.first('tray.created').seq);
    expect(String(tips.at(-1)!.text)).toMatch(/^Outpost — Not registered\nHeartbeat: /);
  });

  it('starts the embedded server in a utility process from the compiled entry and serves on loopback', async () => {
    const fork = booted.first('utility.fork');
    expect(fork.modulePath).toBe(join(appRoot, 'dist/src-main/app/server-process.js'));
    expect(fork.args).toEqual(['--host', '127.0.0.1', '--port', '0', '--data-dir', join(dataDir, 'server')]);
    expect(fork).toMatchObject({ stdio: 'pipe', serviceName: 'Outpost embedded server' });
    const status = (await ours('outpost:server.status')) as Result<ServerStatus>;
    expect(status.ok).toBe(true);
    if (!status.ok) return;
    expect(status.value).toMatchObject({ mode: 'local', running: true, agent_points_here: true });
    const health = await fetch(`${status.value.url}/health`);
    expect(health.status).toBe(200);
  });

  it('answers IPC from our window and FORBIDDEN to another window, a subframe or a foreign page', async () => {
    const info = (await ours('outpost:app.info')) as Result<AppInfo>;
    expect(info).toMatchObject({
      ok: true,
      value: { shell: 'electron', data_dir: dataDir, secret_backend: 'encrypted-file' },
    });
    const forbidden = { ok: false, error: { code: 'FORBIDDEN' } };
    const other = { cmd: 'invoke', channel: 'outpost:app.info' };
    expect(await booted.command({ ...other, senderId: winId + 100, url: APP_URL })).toMatchObject(forbidden);
    expect(
      await booted.command({ ...other, senderId: winId, url: APP_URL, parent: { url: APP_URL } }),
    ).toMatchObject(forbidden);
    expect(await booted.command({ ...other, senderId: winId, url: 'https://evil.example/' })).toMatchObject(
      forbidden,
    );
    expect(
      await booted.command({ cmd: 'invoke', channel: 'outpost:shell.state', senderId: 999, url: APP_URL }),
    ).toMatchObject(forbidden);
  });

  it('surfaces the first-start admin password in the window once, and never writes it to a file', async () => {
    const pushed = booted.journal.find(
      (e) => e.type === 'webContents.send' && (e.payload as ShellState | undefined)?.admin_notice,
    );
    expect(pushed?.id).toBe(winId);
    const state = (await ours('outpost:shell.state')) as Result<ShellState>;
    expect(state.ok).toBe(true);
    if (!state.ok) return;
    expect(state.value.startup).toEqual({ phase: 'ready', error: null });
    const notice = state.value.admin_notice!;
    expect(notice.username).toBe('admin');
    expect(notice.password.length).toBeGreaterThanOrEqual(12);
    for (const file of filesUnder(dataDir)) {
      expect(readFileSync(file).includes(notice.password), file).toBe(false);
    }
    expect(readFileSync(join(dataDir, 'logs/app.log'), 'utf8')).toContain('created its admin user');

    const dismissed = (await ours('outpost:shell.dismissAdminNotice')) as Result<ShellState>;
    expect(dismissed).toMatchObject({ ok: true, value: { admin_notice: null } });
    expect(await ours('outpost:shell.state')).toMatchObject({ ok: true, value: { admin_notice: null } });
  });

  it('records the chosen secret backend for this data dir', () => {
    expect(JSON.parse(readFileSync(join(dataDir, 'secret-backend.json'), 'utf8'))).toEqual({
      backend: 'safe-storage',
    });
  });

  it('serves the renderer from the app scheme with the strict CSP header, nothing outside it', async () => {
    type Served = { status: number; headers: Record<string, string>; body: string };
    const page = await booted.command<Served>({ cmd: 'protocol', url: APP_URL });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Outpost</title>');
    expect(page.headers['content-type']).toContain('text/html');
    const csp = page.headers['content-security-policy']!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).not.toMatch(/ws:|wss:|\*|unsafe/);
    for (const url of [
      'outpost://app/%2e%2e/%2e%2e/package.json',
      'outpost://app/..%2f..%2fpackage.json',
      'outpost://other/index.html',
      'outpost://app/missing.js',
    ]) {
      expect((await booted.command<Served>({ cmd: 'protocol', url })).status, url).toBe(404);
    }
  });

  it('grants only sanitized clipboard writes, only to our pages; refuses navigation away and new windows', async () => {
    const perm = (permission: string, url: string) =>
      booted.command<{ granted: boolean; checked: boolean }>({
        cmd: 'permission',
        senderId: winId,
        permission,
        url,
      });
    expect(await perm('clipboard-sanitized-write', APP_URL)).toEqual({ granted: true, checked: true });
    expect(await perm('clipboard-sanitized-write', 'https://evil.example/')).toEqual({
      granted: false,
      checked: false,
    });
    expect(await perm('clipboard-read', APP_URL)).toEqual({ granted: false, checked: false });
    expect(await perm('media', APP_URL)).toEqual({ granted: false, checked: false });
    expect(await booted.command({ cmd: 'navigate', senderId: winId, url: 'https://evil.example/' })).toEqual({
      prevented: true,
    });
    expect(await booted.command({ cmd: 'navigate', senderId: winId, url: `${APP_URL}#/station` })).toEqual({
      prevented: false,
    });
    expect(
      await booted.command({ cmd: 'open-window', senderId: winId, url: 'https://evil.example/' }),
    ).toEqual({ action: 'deny' });
  });

  it('quits cleanly: a shutdown message to the server, its clean exit, no kill, port freed, databases on disk', async () => {
    const status = (await ours('outpost:server.status')) as Result<ServerStatus>;
    const port = status.ok ? status.value.port : 0;
    expect(port).toBeGreaterThan(0);
    await booted.command({ cmd: 'quit' });
    expect(await booted.exited).toBe(0);
    const pid = booted.first('utility.fork').seq;
    expect(pid).toBeGreaterThanOrEqual(0);
    expect(booted.of('utility.postMessage').map((e) => e.message)).toEqual([{ type: 'outpost:shutdown' }]);
    expect(booted.of('utility.exit')).toMatchObject([{ code: 0, signal: null }]);
    expect(booted.of('utility.kill')).toEqual([]);
    expect(booted.of('utility.orphan')).toEqual([]);
    expect(
      booted.of('utility.stdout').some((e) => /^SIGTERM: finishing in-flight requests/.test(String(e.line))),
    ).toBe(true);
    expect(booted.of('tray.destroyed')).toHaveLength(1);
    expect(await portIsFree(port)).toBe(true);
    expect(existsSync(join(dataDir, 'station.db'))).toBe(true);
    expect(existsSync(join(dataDir, 'server/server.db'))).toBe(true);
    const log = readFileSync(join(dataDir, 'logs/app.log'), 'utf8');
    expect(log).toContain('desktop shell stopped');
    const errors = log
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: string; msg: string })
      .filter((l) => l.level === 'error' || l.level === 'fatal');
    expect(errors).toEqual([]);
  });
});

describe('a later launch whose recorded secret backend is unavailable', () => {
  it('says so and lets the operator retry or quit; never opens another backend or the window', async () => {
    const before = readFileSync(join(dataDir, 'secrets.safestorage.json'), 'utf8');
    const again = new BootedApp(appRoot, ['--data-dir', dataDir], {
      ...NO_KEYRING,
      OUTPOST_STUB_SAFESTORAGE: 'off',
      OUTPOST_STUB_DIALOG_RESPONSES: '0,1', // Retry once (still unavailable), then Quit
    });
    try {
      expect(await again.exited).toBe(1);
      const asked = again.of('dialog.showMessageBox');
      expect(asked).toHaveLength(2);
      const detail = String((asked[0]!.options as { detail: string }).detail);
      expect(detail).toContain("Electron's safeStorage");
      expect(detail).toContain('will not move them');
      expect(again.of('dialog.showErrorBox')).toEqual([]);
      expect(again.of('window.created')).toEqual([]);
      expect(again.of('utility.fork')).toEqual([]);
      expect(readFileSync(join(dataDir, 'secrets.safestorage.json'), 'utf8')).toBe(before);
      expect(JSON.parse(readFileSync(join(dataDir, 'secret-backend.json'), 'utf8'))).toEqual({
        backend: 'safe-storage',
      });
    } finally {
      again.kill();
    }
  }, 60_000);

  it('refuses --secrets-file on a data dir whose secrets are elsewhere, with the reason', async () => {
    const again = new BootedApp(appRoot, ['--data-dir', dataDir, '--secrets-file'], NO_KEYRING);
    try {
      expect(await again.exited).toBe(1);
      const box = again.first('dialog.showErrorBox');
      expect(String(box.content)).toContain('does not move them');
      expect(existsSync(join(dataDir, 'secrets.enc'))).toBe(false);
    } finally {
      again.kill();
    }
  }, 60_000);
});

describe('an embedded server that cannot start', () => {
  it('still shows the window, and the window gets the cause; quitting stays clean', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'outpost-boot-busy-'));
    const app = new BootedApp(appRoot, ['--data-dir', dir, '--port', String(port)], NO_KEYRING);
    try {
      const failed = await app.waitFor(
        (e) =>
          e.type === 'webContents.send' &&
          e.channel === 'outpost:shell.changed' &&
          (e.payload as ShellState).startup.phase === 'failed',
        'the start-up failure',
      );
      expect(app.first('window.created').seq).toBeLessThan(app.first('utility.fork').seq);
      const error = (failed.payload as ShellState).startup.error!;
      // The cause in words, not the server's errno.
      expect(error).toBe(`Embedded server did not start: port ${port} is in use by another program`);
      await app.command({ cmd: 'quit' });
      expect(await app.exited).toBe(0);
      expect(app.of('utility.orphan')).toEqual([]);
    } finally {
      app.kill();
      busy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('bad launch flags', () => {
  it('says what is wrong in a dialog and exits without starting anything', async () => {
    const app = new BootedApp(appRoot, ['--port', '99999'], NO_KEYRING);
    try {
      expect(await app.exited).toBe(2);
      expect(app.first('dialog.showErrorBox').content).toBe('--port must be a number from 0 to 65535');
      expect(app.of('app.requestSingleInstanceLock')).toEqual([]);
      expect(app.of('window.created')).toEqual([]);
    } finally {
      app.kill();
    }
  }, 60_000);
});

describe('with the real Secret Service (npm test starts one)', () => {
  it("keeps the data dir's secrets in the keyring under its own service name, and records that", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-boot-keyring-'));
    const service = keyringServiceFor(dir);
    const app = new BootedApp(appRoot, ['--data-dir', dir, '--port', '0'], {});
    try {
      await app.waitFor(
        (e) =>
          e.type === 'webContents.send' &&
          e.channel === 'outpost:shell.changed' &&
          (e.payload as ShellState).startup.phase === 'ready',
        'the end of start-up',
      );
      const winId = app.first('window.created').id as number;
      const info = await app.command<Result<AppInfo>>({
        cmd: 'invoke',
        channel: 'outpost:app.info',
        senderId: winId,
        url: APP_URL,
      });
      expect(info).toMatchObject({ ok: true, value: { secret_backend: 'keyring' } });
      expect(JSON.parse(readFileSync(join(dir, 'secret-backend.json'), 'utf8'))).toEqual({
        backend: 'keyring',
        keyring_service: service,
      });
      expect(service).toMatch(/^outpost-[0-9a-f]{16}$/);
      const store = await openSecretStore({ dataDir: dir, service });
      expect(await store.get('embedded_server_api_key')).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      await app.command({ cmd: 'quit' });
      expect(await app.exited).toBe(0);
      await store.delete('embedded_server_api_key');
    } finally {
      app.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
