import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src-main/agent/admin/admin-client.js';
import {
  EMBEDDED_API_KEY_ACCOUNT,
  EMBEDDED_PROFILE,
  EmbeddedServer,
} from '../../src-main/agent/admin/embedded-server.js';
import { readCounter } from '../../src-main/agent/admin/stats-sampler.js';
import { AgentError } from '../../src-main/agent/errors.js';
import { createMemorySecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { SettingsStore } from '../../src-main/agent/settings/settings.js';
import { forkServerSpawner } from '../../src-main/cli/web-ui/fork-server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe('embedded server (real forked server process)', () => {
  let dir: string;
  let server: EmbeddedServer;
  const secrets = createMemorySecretStore();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-embedded-'));
  });
  afterEach(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from settings, points the agent at itself, answers admin calls with the key held in the secret store', async () => {
    const settings = SettingsStore.open(dir, {});
    settings.update({ embedded_server: { mode: 'local', port: 0 } });
    server = new EmbeddedServer({ dataDir: dir, settings, secrets }, forkServerSpawner());
    const seen: boolean[] = [];
    server.onStatus((s) => seen.push(s.running));
    const st = await server.startFromSettings();
    expect(st).toMatchObject({
      mode: 'local',
      running: true,
      agent_points_here: true,
      admin_available: true,
      last_error: null,
    });
    expect(settings.get().active).toBe(EMBEDDED_PROFILE);
    expect(settings.activeProfile().base_url).toBe(st.url);
    expect(seen).toContain(true);

    const admin = new AdminClient(() => server.adminEndpoint());
    const created = await admin.createDevice({ device_key: 'kiosk-1', note: 'test' });
    expect(created).toMatchObject({ device_key: 'kiosk-1' });
    expect(created.token_code).toMatch(/^[0-9A-F]{6}$/);
    expect((await admin.listDevices()).devices.map((d) => d.device_key)).toEqual(['kiosk-1']);

    // The API key lives in the secret store only: not in settings, not in any file of the data dir.
    const key = await secrets.get(EMBEDDED_API_KEY_ACCOUNT);
    expect(key).toBeTruthy();
    for (const f of filesUnder(dir)) {
      if (statSync(f).size < 5_000_000) expect(readFileSync(f).includes(key!), f).toBe(false);
    }
  });

  it('refuses LAN mode without confirmation (CONFIRMATION_REQUIRED), and off stops the process', async () => {
    const settings = SettingsStore.open(dir, {});
    server = new EmbeddedServer({ dataDir: dir, settings, secrets }, forkServerSpawner());
    await expect(server.configure({ mode: 'lan', port: 0 })).rejects.toMatchObject({
      code: 'CONFIRMATION_REQUIRED',
    });
    expect(settings.get().embedded_server.mode).toBe('off');
    const on = await server.configure({ mode: 'local', port: 0 });
    expect(on.running).toBe(true);
    const url = on.url!;
    expect(settings.get().active).toBe(EMBEDDED_PROFILE);
    const off = await server.configure({ mode: 'off' });
    // The agent no longer aims at a stopped server: back to the other profile.
    expect(settings.get().active).toBe('default');
    expect(off).toMatchObject({ mode: 'off', running: false, url: null, admin_available: false });
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    expect(await server.adminEndpoint()).toBeNull();
  });

  it('records a start failure (port already taken) in status instead of crashing', async () => {
    const blocker = await startTestServer();
    try {
      const settings = SettingsStore.open(dir, {});
      settings.update({ embedded_server: { mode: 'local', port: Number(new URL(blocker.url).port) } });
      server = new EmbeddedServer({ dataDir: dir, settings, secrets }, forkServerSpawner());
      const st = await server.startFromSettings();
      expect(st.running).toBe(false);
      expect(st.last_error).toMatch(/did not start/);
    } finally {
      await blocker.dispose();
    }
  });
});

describe('AdminClient against the real server', () => {
  let srv: TestServer;
  let admin: AdminClient;
  beforeAll(async () => {
    srv = await startTestServer();
    admin = new AdminClient(async () => ({ url: srv.url, apiKey: srv.apiKey }));
  });
  afterAll(() => srv.dispose());

  it('maps clients, licenses and their pagination to the channel shapes', async () => {
    const c = await admin.createClient('acme', 5);
    expect(c).toMatchObject({ name: 'acme', quota: 5, remaining: 5 });
    expect(await admin.topUpClient(c.id, 3)).toMatchObject({ id: c.id, remaining: 8 });
    const lic = await admin.generateLicense({ duration_days: 30, description: 'test' });
    expect(lic).toMatchObject({ status: 'generated', duration_days: 30, description: 'test' });
    const list = await admin.listLicenses({ search: lic.license_key.slice(-6) });
    expect(list.licenses.map((l) => l.id)).toEqual([lic.id]);
    expect(list.pagination).toMatchObject({ page: 1, total: 1 });
    expect(await admin.revokeLicense(lic.id)).toMatchObject({ id: lic.id, status: 'revoked' });
  });

  it("turns the server's error envelope into an AgentError with its code (unknown device → 404 code)", async () => {
    const err = await admin.revokeDevice('no-such-device').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toMatch(/NOT_FOUND/);
  });

  it('answers ADMIN_UNAVAILABLE when no embedded server runs, and NETWORK_ERROR when it does not answer', async () => {
    await expect(new AdminClient(async () => null).listDevices()).rejects.toMatchObject({
      code: 'ADMIN_UNAVAILABLE',
    });
    const dead = new AdminClient(async () => ({ url: 'http://127.0.0.1:9', apiKey: 'k' }), 2_000);
    await expect(dead.listDevices()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });

  it('reports online devices and heartbeat counts from /metrics', async () => {
    await admin.sampler.sample();
    const stats = await admin.stats();
    expect(stats).toMatchObject({ online_devices: 0 });
    expect(Array.isArray(stats.points)).toBe(true);
    expect(
      readCounter(
        'outpost_device_heartbeats_total 7\nfoo 1\noutpost_device_heartbeats_total{a="b"} 3\n',
        'outpost_device_heartbeats_total',
      ),
    ).toBe(10);
    expect(readCounter('nothing here', 'outpost_device_heartbeats_total')).toBeNull();
  });
});
