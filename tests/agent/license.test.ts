import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src-main/agent/agent.js';
import { AgentEvents, type AgentEvent } from '../../src-main/agent/events.js';
import { LicenseService } from '../../src-main/agent/license/license-service.js';
import {
  createMemorySecretStore,
  SECRET_ACCOUNTS,
  type SecretStore,
} from '../../src-main/agent/secrets/secret-store.js';
import { SettingsStore } from '../../src-main/agent/settings/settings.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const DAY = 86_400_000;
const fp = (label: string) => createHash('sha256').update(label).digest('hex');
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'outpost-license-'));
  dirs.push(d);
  return d;
};

/** One secret store per data dir, as one machine has one keyring: the pin must outlive a service restart. */
const stores = new Map<string, SecretStore>();
const storeFor = (dataDir: string): SecretStore => {
  let s = stores.get(dataDir);
  if (!s) stores.set(dataDir, (s = createMemorySecretStore()));
  return s;
};

interface Harness {
  svc: LicenseService;
  secrets: SecretStore;
  events: AgentEvent[];
  dataDir: string;
  clock: { offsetMs: number };
}

function makeService(
  serverUrl: string,
  opts: { dataDir?: string; machine?: string; clock?: { offsetMs: number } } = {},
): Harness {
  const dataDir = opts.dataDir ?? tempDir();
  const clock = opts.clock ?? { offsetMs: 0 };
  const events = new AgentEvents();
  const seen: AgentEvent[] = [];
  events.on((e) => seen.push(e));
  const svc = new LicenseService({
    dataDir,
    settings: SettingsStore.open(dataDir, { OUTPOST_SERVER_URL: serverUrl }),
    events,
    secrets: storeFor(dataDir),
    now: () => new Date(Date.now() + clock.offsetMs),
    fingerprint: async () => fp(opts.machine ?? 'machine-A'),
    http: { retryBaseMs: 1 },
  });
  return { svc, secrets: storeFor(dataDir), events: seen, dataDir, clock };
}

async function newKey(srv: TestServer, body: Record<string, unknown> = { duration_days: 365 }) {
  const r = await srv.api('POST', '/api/licenses/generate', body, { 'X-API-Key': srv.apiKey });
  return r.body.data as { id: string; license_key: string };
}

const readLicense = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, 'license.json'), 'utf8'));
const writeLicense = (dataDir: string, v: unknown) =>
  writeFileSync(join(dataDir, 'license.json'), JSON.stringify(v));

describe('agent license: activation and online validation against the real server', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.dispose();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('activate → active (expires in N days), license.json with certificate and pinned key, event emitted', async () => {
    const h = makeService(srv.url);
    const lic = await newKey(srv);
    const st = await h.svc.activate(lic.license_key.toLowerCase(), ' Owner@Example.com ');
    expect(st).toMatchObject({
      state: 'active',
      license_key: lic.license_key,
      email: 'owner@example.com',
      days_left: 365,
    });
    expect(st.message).toBe('License active, expires in 365 days.');
    const file = readLicense(h.dataDir);
    expect(file).toMatchObject({ license_id: lic.id, license_key: lic.license_key, server_url: srv.url });
    expect(file.certificate.split('.')).toHaveLength(3);
    const pk = (await srv.api('GET', '/api/licenses/public-key')).body.data;
    expect(file.public_key_pem).toBe(pk.public_key_pem);
    expect(statSync(join(h.dataDir, 'license.json')).mode & 0o777).toBe(0o600);
    expect(
      h.events.some((e) => e.type === 'license.status' && (e.data as { state: string }).state === 'active'),
    ).toBe(true);
  });

  it('activation reports the system (POST /api/systems) with this machine’s fingerprint', async () => {
    const h = makeService(srv.url, { machine: 'reporter' });
    const lic = await newKey(srv);
    await h.svc.activate(lic.license_key, 'rep@example.com');
    const systems = await srv.api('GET', `/api/systems?license_id=${lic.id}`, undefined, {
      'X-API-Key': srv.apiKey,
    });
    expect(systems.body.data).toHaveLength(1);
    expect(systems.body.data[0]).toMatchObject({
      fingerprint_hash: fp('reporter'),
      licenses: { id: lic.id },
    });
    expect(systems.body.data[0].system_data).toHaveProperty('platform', process.platform);
    expect(readLicense(h.dataDir).last_system_report_at).toBeTruthy();
  });

  it('activate with an unknown key → AgentError NOT_FOUND, nothing stored', async () => {
    const h = makeService(srv.url);
    await expect(h.svc.activate('PROGRAN3-2025-AAAAAA-BBBBBB', 'a@b.co')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(existsSync(join(h.dataDir, 'license.json'))).toBe(false);
    expect((await h.svc.status()).state).toBe('none');
  });

  it('activate on a second machine of a max_machines:1 license → LICENSE_IN_USE with an operator message', async () => {
    const lic = await newKey(srv);
    await makeService(srv.url, { machine: 'first' }).svc.activate(lic.license_key, 'a@b.co');
    const second = makeService(srv.url, { machine: 'second' });
    await expect(second.svc.activate(lic.license_key, 'a@b.co')).rejects.toMatchObject({
      code: 'LICENSE_IN_USE',
      message: expect.stringContaining('deactivate it on another computer'),
    });
  });

  it('deactivate frees the seat (another machine can activate) and the status becomes none', async () => {
    const lic = await newKey(srv);
    const a = makeService(srv.url, { machine: 'old-pc' });
    await a.svc.activate(lic.license_key, 'mover@example.com');
    expect((await a.svc.deactivate()).state).toBe('none');
    expect(existsSync(join(a.dataDir, 'license.json'))).toBe(false);
    const b = makeService(srv.url, { machine: 'new-pc' });
    expect((await b.svc.activate(lic.license_key, 'mover@example.com')).state).toBe('active');
  });

  it('revoked on the server → validate() says revoked, and it stays revoked offline after a restart', async () => {
    const lic = await newKey(srv);
    const h = makeService(srv.url, { machine: 'revokee' });
    await h.svc.activate(lic.license_key, 'r@example.com');
    await srv.api('PUT', `/api/licenses/${lic.id}`, { status: 'revoked' }, { 'X-API-Key': srv.apiKey });
    const st = await h.svc.validate();
    expect(st.state).toBe('revoked');
    expect(h.events.at(-1)).toMatchObject({ type: 'license.status', data: { state: 'revoked' } });
    // A fresh service on the same data dir pointed at a dead server: still revoked, no network needed.
    const offline = makeService('http://127.0.0.1:9', { dataDir: h.dataDir, machine: 'revokee' });
    expect((await offline.svc.validate()).state).toBe('revoked');
    // Editing the revocation out of license.json does not bring the license back: the edit shows.
    writeLicense(h.dataDir, { ...readLicense(h.dataDir), server_verdict: null, server_verdict_at: null });
    const edited = await makeService('http://127.0.0.1:9', {
      dataDir: h.dataDir,
      machine: 'revokee',
    }).svc.validate();
    expect(edited.state).toBe('invalid');
    expect(edited.message).toContain('License file was modified');
  });

  it('deleted on the server → validate() says revoked', async () => {
    const lic = await newKey(srv);
    const h = makeService(srv.url, { machine: 'deleted' });
    await h.svc.activate(lic.license_key, 'd@example.com');
    await srv.api('DELETE', `/api/licenses/${lic.id}`, undefined, { 'X-API-Key': srv.apiKey });
    expect((await h.svc.validate()).state).toBe('revoked');
  });

  it('start() re-validates on its interval and re-reports the system when the report interval has passed', async () => {
    const dataDir = tempDir();
    const events = new AgentEvents();
    const svc = new LicenseService({
      dataDir,
      settings: SettingsStore.open(dataDir, { OUTPOST_SERVER_URL: srv.url }),
      events,
      secrets: storeFor(dataDir),
      fingerprint: async () => fp('ticker'),
      intervals: { validateMs: 20, reportMs: 0 },
    });
    const lic = await newKey(srv);
    await svc.activate(lic.license_key, 't@example.com');
    const first = readLicense(dataDir).last_system_report_at as string;
    await svc.start();
    try {
      // Poll (no timing assertion): the tick must eventually write a newer report time.
      for (let i = 0; i < 500 && readLicense(dataDir).last_system_report_at === first; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(readLicense(dataDir).last_system_report_at > first).toBe(true);
      expect(readLicense(dataDir).last_online_check_at).toBeTruthy();
    } finally {
      await svc.stop();
    }
  });

  it('a duration changed by the administrator reaches the agent on the next online check (fresh certificate)', async () => {
    const lic = await newKey(srv, { duration_days: 100 });
    const h = makeService(srv.url, { machine: 'extend' });
    expect((await h.svc.activate(lic.license_key, 'e@example.com')).days_left).toBe(100);
    await srv.api('PUT', `/api/licenses/${lic.id}`, { duration_days: 200 }, { 'X-API-Key': srv.apiKey });
    expect((await h.svc.validate()).days_left).toBe(200);
  });
});

describe('agent license: offline validation from the certificate', () => {
  let srv: TestServer;
  let base: Harness;
  let snapshot: Record<string, unknown>;
  let pinSnapshot: string;

  beforeAll(async () => {
    srv = await startTestServer();
    base = makeService(srv.url, { machine: 'offline-pc' });
    const lic = await newKey(srv, { duration_days: 30 });
    await base.svc.activate(lic.license_key, 'off@example.com');
    snapshot = readLicense(base.dataDir);
    pinSnapshot = (await base.secrets.get(SECRET_ACCOUNTS.licensePin))!;
    // From here on nothing may need the server.
    await srv.dispose();
  });
  afterEach(async () => {
    // Each case starts from the activated state: the file and the pin (whose time high-water mark moves).
    writeLicense(base.dataDir, snapshot);
    await base.secrets.set(SECRET_ACCOUNTS.licensePin, pinSnapshot);
  });
  afterAll(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const offline = (o: { machine?: string; offsetMs?: number } = {}) =>
    makeService('http://127.0.0.1:9', {
      dataDir: base.dataDir,
      machine: o.machine ?? 'offline-pc',
      clock: { offsetMs: o.offsetMs ?? 0 },
    });

  it('with the server gone, validate() still says active (the certificate decides)', async () => {
    const st = await offline().svc.validate();
    expect(st.state).toBe('active');
    expect(st.days_left).toBe(30);
  });

  it('clock 20 days on → expiring (≤ 14 days left)', async () => {
    const st = await offline({ offsetMs: 20 * DAY }).svc.validate();
    expect(st.state).toBe('expiring');
    expect(st.days_left).toBe(10);
  });

  it('clock past expiry → expired, offline', async () => {
    const st = await offline({ offsetMs: 31 * DAY }).svc.validate();
    expect(st.state).toBe('expired');
    expect(st.days_left).toBe(0);
  });

  it('another machine reading this license.json → invalid (wrong machine)', async () => {
    const st = await offline({ machine: 'thief-pc' }).svc.validate();
    expect(st.state).toBe('invalid');
    expect(st.message).toContain('another machine');
  });

  it('the same license.json written in another JSON layout is still trusted (the digest is over the content)', async () => {
    writeFileSync(join(base.dataDir, 'license.json'), JSON.stringify(snapshot, null, 7));
    expect((await offline().svc.validate()).state).toBe('active');
  });

  it('certificate payload edited (expires_at pushed to 2099) → invalid', async () => {
    const [h, p, s] = String(snapshot.certificate).split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    claims.expires_at = '2099-01-01T00:00:00.000Z';
    writeLicense(base.dataDir, {
      ...snapshot,
      certificate: `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`,
    });
    expect((await offline().svc.validate()).state).toBe('invalid');
  });

  it('certificate signature edited (one character) → invalid', async () => {
    const cert = String(snapshot.certificate);
    const flipped = cert.slice(0, -2) + (cert.at(-2) === 'A' ? 'B' : 'A') + cert.at(-1);
    writeLicense(base.dataDir, { ...snapshot, certificate: flipped });
    expect((await offline().svc.validate()).state).toBe('invalid');
  });

  it('certificate checked against another Ed25519 key (pinned key swapped) → invalid', async () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeLicense(base.dataDir, { ...snapshot, public_key_pem: other });
    expect((await offline().svc.validate()).state).toBe('invalid');
  });

  it('license.json expires_at edited (unsigned copy) → modified, not trusted', async () => {
    writeLicense(base.dataDir, { ...snapshot, expires_at: '2099-01-01T00:00:00.000Z' });
    const st = await offline({ offsetMs: 31 * DAY }).svc.validate();
    expect(st.state).toBe('invalid');
    expect(st.message).toContain('License file was modified');
  });

  it('a crash between writing license.json and finishing the pin (digest still pending) is not an edit', async () => {
    const pin = JSON.parse(pinSnapshot) as { file_sha256: string };
    // As left by a crash after the file was renamed into place but before the pin named it as current.
    await base.secrets.set(
      SECRET_ACCOUNTS.licensePin,
      JSON.stringify({ ...pin, file_sha256: 'f'.repeat(64), pending_sha256: pin.file_sha256 }),
    );
    expect((await offline().svc.validate()).state).toBe('active');
  });

  it('no pinned key in the secret store (keyring wiped, or license.json copied in) → not trusted offline', async () => {
    await base.secrets.delete(SECRET_ACCOUNTS.licensePin);
    const st = await offline().svc.validate();
    expect(st.state).toBe('invalid');
    expect(st.message).toContain('no pinned server key');
  });

  it('license.json that is not JSON → invalid with a clear message', async () => {
    writeFileSync(join(base.dataDir, 'license.json'), '{not json');
    const st = await offline().svc.status();
    expect(st.state).toBe('invalid');
    expect(st.message).toContain('damaged');
  });

  it('no license.json → none', async () => {
    expect((await makeService('http://127.0.0.1:9').svc.status()).state).toBe('none');
  });
});

describe('agent license: wired into createAgent', () => {
  it('agent.license exists, start() emits a license.status event, stop() ends the timer', async () => {
    const dataDir = tempDir();
    const agent = await createAgent({
      dataDir,
      serverUrl: 'http://127.0.0.1:9',
      env: {},
      secrets: createMemorySecretStore(),
      logging: false,
    });
    const seen: AgentEvent[] = [];
    agent.events.on((e) => seen.push(e));
    await agent.start();
    await agent.license.validate();
    expect(
      seen.some((e) => e.type === 'license.status' && (e.data as { state: string }).state === 'none'),
    ).toBe(true);
    await agent.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
});
