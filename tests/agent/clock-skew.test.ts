/**
 * A station whose clock is wrong judges the server's expiries by the server's time: the offset measured from the
 * server's answers (Date header, server_time) is kept in clock.json for the next process, and the license keeps a
 * high-water mark of the time it was judged at, so setting the clock back never revives an expiry. The local
 * clock is injected (no sleeps); the server runs on the real clock.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEvents } from '../../src-main/agent/events.js';
import { LicenseService } from '../../src-main/agent/license/license-service.js';
import { createMemorySecretStore, type SecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { SettingsStore } from '../../src-main/agent/settings/settings.js';
import { StationService } from '../../src-main/agent/station/station-service.js';
import { clockFilePath, ServerClock } from '../../src-main/agent/time/server-clock.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { STATION_USER, createClient, createStationUser } from './station-helpers.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'outpost-skew-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const srv = await startTestServer({ env });
  cleanup.push(() => srv.dispose());
  return srv;
}

/** A local clock the test moves: `skew` ms away from the real time. */
function skewed(skew: { ms: number }): ServerClockFactory {
  return (dataDir) => new ServerClock({ file: clockFilePath(dataDir), localNow: () => Date.now() + skew.ms });
}
type ServerClockFactory = (dataDir: string) => ServerClock;

describe('license judged by the server’s time', () => {
  const fp = createHash('sha256').update('skewed-pc').digest('hex');

  function license(
    srvUrl: string,
    dataDir: string,
    secrets: SecretStore,
    clock: ServerClock,
  ): LicenseService {
    return new LicenseService({
      dataDir,
      settings: SettingsStore.open(dataDir, { OUTPOST_SERVER_URL: srvUrl }),
      events: new AgentEvents(),
      secrets,
      clock,
      fingerprint: async () => fp,
      http: { retryBaseMs: 1 },
    });
  }

  async function activated(srv: TestServer, days: number) {
    const dataDir = tempDir();
    const secrets = createMemorySecretStore();
    const gen = await srv.api(
      'POST',
      '/api/licenses/generate',
      { duration_days: days },
      { 'X-API-Key': srv.apiKey },
    );
    const st = await license(srv.url, dataDir, secrets, skewed({ ms: 0 })(dataDir)).activate(
      gen.body.data.license_key as string,
      'skew@example.com',
    );
    expect(st.state).toBe('active');
    return { dataDir, secrets };
  }

  it('clock 40 days ahead: active right after the online check (and offline afterwards, in a new process)', async () => {
    const srv = await server();
    const { dataDir, secrets } = await activated(srv, 365);
    const ahead = { ms: 40 * DAY };
    const online = await license(srv.url, dataDir, secrets, skewed(ahead)(dataDir)).validate();
    expect(online.state).toBe('active');
    // The Date header has one-second resolution: right at activation that may round to 365 or 366 days.
    expect(online.days_left).toBeGreaterThanOrEqual(364);
    // The offset measured by that check is what the next process starts with.
    expect(JSON.parse(readFileSync(clockFilePath(dataDir), 'utf8')).offset_ms).toBeLessThan(-39 * DAY);
    await srv.dispose({ keepData: true }); // offline from here on
    const next = await license('http://127.0.0.1:9', dataDir, secrets, skewed(ahead)(dataDir)).validate();
    expect(next.state).toBe('active');
    expect(next.days_left).toBeGreaterThanOrEqual(364);
  });

  it('clock set back 35 days after expiry: the expired license stays expired offline', async () => {
    const srv = await server();
    const { dataDir, secrets } = await activated(srv, 30);
    await srv.dispose({ keepData: true }); // offline from here on: only the local clock moves
    const clock = { ms: 31 * DAY };
    const expired = await license(srv.url, dataDir, secrets, skewed(clock)(dataDir)).validate();
    expect(expired.state).toBe('expired');
    clock.ms -= 35 * DAY; // four days before the real now: the certificate alone would say active again
    const back = await license(srv.url, dataDir, secrets, skewed(clock)(dataDir)).validate();
    expect(back.state).toBe('expired');
    expect(back.days_left).toBe(0);
  });

  it('a clock merely behind (never ahead) keeps the license active: the high-water mark only follows time seen', async () => {
    const srv = await server();
    const { dataDir, secrets } = await activated(srv, 30);
    await srv.dispose({ keepData: true });
    const st = await license(srv.url, dataDir, secrets, skewed({ ms: -10 * DAY })(dataDir)).validate();
    expect(st.state).toBe('active');
  });
});

/** A loopback HTTP proxy that records the path of every request (to see which calls the station made). */
async function recordingProxy(target: string): Promise<{ url: string; paths: string[] }> {
  const t = new URL(target);
  const paths: string[] = [];
  const proxy = http.createServer((req, res) => {
    paths.push(`${req.method} ${req.url}`);
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, paths };
}

describe('station login judged by the server’s time', () => {
  function station(url: string, dataDir: string, secrets: SecretStore, clock: ServerClock): StationService {
    const svc = new StationService({
      dataDir,
      secrets,
      serverUrl: () => url,
      realtime: false,
      timeoutMs: 5_000,
      clock,
    });
    cleanup.push(() => svc.stop());
    return svc;
  }

  it('clock 8 days ahead: the sync right after a login works, also in the next process', async () => {
    const srv = await server();
    await createClient(srv, 'Acme', 5);
    await createStationUser(srv);
    const dataDir = tempDir();
    const secrets = createMemorySecretStore();
    const ahead = { ms: 8 * DAY };
    const login = station(srv.url, dataDir, secrets, skewed(ahead)(dataDir));
    await login.login(STATION_USER.username, STATION_USER.password);
    await login.stop();
    // `agent sync` after `agent login`: a new process with a new clock object, reading clock.json.
    const sync = station(srv.url, dataDir, secrets, skewed(ahead)(dataDir));
    await sync.ready();
    expect(sync.status()).toMatchObject({ logged_in: true, login_needed: false });
    const report = await sync.syncNow();
    expect(report.pulled).toBe(1);
    await sync.stop();
    // An install from before clock.json (or with it deleted): nothing measured yet, so the skewed local clock
    // alone does not declare the login dead; the next answer measures the clock and the sync goes through.
    rmSync(clockFilePath(dataDir));
    const unmeasured = station(srv.url, dataDir, secrets, skewed(ahead)(dataDir));
    await unmeasured.ready();
    expect(unmeasured.status()).toMatchObject({ logged_in: true });
    expect((await unmeasured.syncNow()).pulled).toBe(1);
    expect(JSON.parse(readFileSync(clockFilePath(dataDir), 'utf8')).offset_ms).toBeLessThan(-7 * DAY);
  });

  it('clock 2 days behind: the token is refreshed when the server’s time says less than a day is left', async () => {
    // 25 h tokens: the refresh window (24 h) opens one server hour after the login.
    const srv = await server({ OUTPOST_JWT_EXPIRES_SEC: String(25 * 3600) });
    await createClient(srv, 'Acme', 5);
    await createStationUser(srv);
    const proxy = await recordingProxy(srv.url);
    const dataDir = tempDir();
    const clock = { ms: -2 * DAY };
    const svc = station(proxy.url, dataDir, createMemorySecretStore(), skewed(clock)(dataDir));
    await svc.login(STATION_USER.username, STATION_USER.password);
    await svc.syncNow();
    expect(proxy.paths.filter((p) => p === 'POST /api/auth/refresh')).toHaveLength(0);
    // Two hours pass on the station's clock (and so on the server's, as the station estimates it). By the local
    // clock the token still has two days and 23 h left; by the server's it has 23 h: time to refresh.
    clock.ms += 2 * HOUR;
    await svc.syncNow();
    expect(proxy.paths.filter((p) => p === 'POST /api/auth/refresh')).toHaveLength(1);
    expect(svc.status()).toMatchObject({ logged_in: true });
  });
});
