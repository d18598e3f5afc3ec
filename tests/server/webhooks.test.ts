import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson } from '../../src-main/server/webhooks/sender.js';
import { startTestServer, TEST_ADMIN, type TestServer } from '../helpers/server.js';
import { TestSocket } from './realtime-client.js';
import { Receiver, type Mode } from './webhook-receiver.js';
import { verifyOutpostSignature } from './webhook-verify.js';

/**
 * Webhooks and alerts over real HTTP, on the store the project selects, with real receivers on loopback. Time
 * comes from the server's injected clock and both jobs are driven by hand (their timers are set to an hour).
 */
const BACKOFF_MS = 10_000;
let srv: TestServer;
let now = Date.now();
const receivers: Receiver[] = [];
const admin = () => ({ 'x-api-key': srv.apiKey });

beforeAll(async () => {
  srv = await startTestServer({
    env: {
      OUTPOST_WEBHOOK_ALLOW_PRIVATE: '1',
      OUTPOST_ALERT_EVERY_MS: '3600000',
      OUTPOST_WEBHOOK_DISPATCH_EVERY_MS: '3600000',
      OUTPOST_WEBHOOK_TIMEOUT_MS: '1500',
      OUTPOST_WEBHOOK_BACKOFF_MS: String(BACKOFF_MS),
      OUTPOST_WEBHOOK_DISABLE_FAILURES: '5',
      OUTPOST_WEBHOOK_DISABLE_HOURS: '1',
      OUTPOST_ALERT_QUOTA_LOW: '3',
      OUTPOST_ALERT_LICENSE_DAYS: '14',
      OUTPOST_ALERT_GUESSES: '3',
      OUTPOST_ALERT_GUESS_QUIET_SEC: '900',
    },
  });
  srv.ctx.events.useClock(() => now);
});
afterAll(async () => {
  await srv?.dispose();
  for (const r of receivers) await r.close();
});

async function receiver(mode: Mode): Promise<Receiver> {
  const r = await Receiver.start(mode);
  receivers.push(r);
  return r;
}

async function hook(url: string, events: string[]): Promise<{ id: string; secret: string }> {
  const r = await srv.api('POST', '/api/admin/webhooks', { url, events }, admin());
  expect(r.status, r.text).toBe(201);
  return r.body.data;
}

const deliveries = async (id: string) => {
  const r = await srv.api('GET', `/api/admin/webhooks/${id}/deliveries`, undefined, admin());
  expect(r.status, r.text).toBe(200);
  return r.body.data.deliveries as {
    status: string;
    attempt: number;
    response_code: number | null;
    response_time_ms: number | null;
    error: string | null;
    next_attempt_at: string | null;
    event_type: string;
  }[];
};

async function enroll(): Promise<{ key: string; secret: string; token: string }> {
  const d = await srv.api('POST', '/api/admin/devices', {}, admin());
  expect(d.status, d.text).toBe(200);
  const r = await srv.api('POST', `/api/devices/${d.body.device_key}/register`, {
    token_code: d.body.token_code,
  });
  expect(r.status, r.text).toBe(200);
  return { key: d.body.device_key, secret: r.body.device_secret, token: d.body.token_code };
}

describe('webhook endpoints', () => {
  it('creates (secret once), lists without secrets, validates, deletes; unknown ids are 404', async () => {
    const r = await srv.api(
      'POST',
      '/api/admin/webhooks',
      { url: 'https://example.com/h', events: ['test'] },
      admin(),
    );
    expect(r.status, r.text).toBe(201);
    expect(r.body.data.secret).toMatch(/^whsec_/);
    const list = await srv.api('GET', '/api/admin/webhooks', undefined, admin());
    expect(list.body.data.find((w: { id: string }) => w.id === r.body.data.id)).toMatchObject({
      url: 'https://example.com/h',
      events: ['test'],
      enabled: true,
    });
    expect(list.text).not.toContain(r.body.data.secret);
    for (const bad of [
      { url: 'ftp://example.com', events: ['test'] },
      { url: 'https://example.com', events: [] },
      { url: 'https://example.com', events: ['nope'] },
      { url: 'not a url', events: ['test'] },
    ]) {
      const b = await srv.api('POST', '/api/admin/webhooks', bad, admin());
      expect(b.status, JSON.stringify(bad)).toBe(400);
      expect(b.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    }
    expect(
      (await srv.api('POST', '/api/admin/webhooks', { url: 'https://x.io', events: ['test'] })).status,
    ).toBe(401);
    expect(
      (await srv.api('DELETE', `/api/admin/webhooks/${r.body.data.id}`, undefined, admin())).status,
    ).toBe(200);
    const gone = await srv.api('DELETE', `/api/admin/webhooks/${r.body.data.id}`, undefined, admin());
    expect(gone.status).toBe(404);
    expect((await srv.api('GET', '/api/admin/webhooks/nope/deliveries', undefined, admin())).status).toBe(
      400,
    );
    const spec = await srv.api('GET', '/api/openapi.json');
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/admin/webhooks',
        '/api/admin/webhooks/{id}/deliveries',
        '/api/admin/alerts',
      ]),
    );
  });

  it('a test event reaches an OK receiver, signed as the README verifies it; the log shows it delivered', async () => {
    const ok = await receiver('ok');
    const h = await hook(ok.url, ['test']);
    const t = await srv.api('POST', `/api/admin/webhooks/${h.id}/test`, undefined, admin());
    expect(t.status, t.text).toBe(200);
    expect(await srv.ctx.events.dispatcher.pass()).toBe(1);
    expect(ok.got).toHaveLength(1);
    const got = ok.got[0]!;
    const header = got.headers['x-outpost-signature'] as string;
    expect(verifyOutpostSignature(h.secret, header, got.body, 300, Math.floor(now / 1000))).toBe(true);
    expect(verifyOutpostSignature('whsec_wrong', header, got.body, 300, Math.floor(now / 1000))).toBe(false);
    expect(verifyOutpostSignature(h.secret, header, got.body + ' ', 300, Math.floor(now / 1000))).toBe(false);
    // Replayed an hour later: refused by the tolerance.
    expect(verifyOutpostSignature(h.secret, header, got.body, 300, Math.floor(now / 1000) + 3600)).toBe(
      false,
    );
    expect(JSON.parse(got.body)).toMatchObject({
      id: t.body.data.event_id,
      type: 'test',
      data: { webhook_id: h.id },
    });
    const [d] = await deliveries(h.id);
    expect(d).toMatchObject({
      status: 'delivered',
      attempt: 1,
      response_code: 200,
      error: null,
      event_type: 'test',
    });
    // Nothing left to send.
    expect(await srv.ctx.events.dispatcher.pass()).toBe(0);
  });

  it('a failing receiver is retried with growing backoff on the clock, then disabled with an alert', async () => {
    const bad = await receiver('fail');
    const h = await hook(bad.url, ['test']);
    await srv.api('POST', `/api/admin/webhooks/${h.id}/test`, undefined, admin());
    const delays: number[] = [];
    const t0 = now;
    for (let i = 1; i <= 5; i++) {
      expect(await srv.ctx.events.dispatcher.pass()).toBe(1);
      const [d] = await deliveries(h.id);
      expect(d).toMatchObject({ attempt: i, response_code: 500 });
      expect(d!.error).toMatch(/HTTP 500/);
      if (i < 5) {
        expect(d!.status).toBe('pending');
        const due = Date.parse(d!.next_attempt_at!);
        delays.push(due - now);
        // Not due before its time.
        now = due - 1;
        expect(await srv.ctx.events.dispatcher.pass()).toBe(0);
        // Past the first hour of failures, so the fifth failure disables the endpoint.
        now = Math.max(due, i === 4 ? t0 + 3600_000 : 0);
      }
    }
    // Exponential with equal jitter: each delay within [half, full] of base·2^(n-1), never shorter than the last.
    delays.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual((BACKOFF_MS * 2 ** i) / 2);
      expect(ms).toBeLessThanOrEqual(BACKOFF_MS * 2 ** i);
    });
    expect(bad.got).toHaveLength(5);
    const list = await srv.api('GET', '/api/admin/webhooks', undefined, admin());
    expect(list.body.data.find((w: { id: string }) => w.id === h.id)).toMatchObject({
      enabled: false,
      consecutive_failures: 5,
    });
    expect((await deliveries(h.id))[0]).toMatchObject({ status: 'failed', attempt: 5 });
    const alerts = await srv.api(
      'GET',
      '/api/admin/alerts?state=open&type=webhook.disabled',
      undefined,
      admin(),
    );
    expect(alerts.body.data.alerts).toEqual([expect.objectContaining({ target: h.id, state: 'open' })]);
    const m = await srv.api('GET', '/metrics', undefined, admin());
    expect(m.text).toMatch(/outpost_webhook_delivery_failures_total \d+/);
    expect(m.text).toContain('outpost_alerts_open{type="webhook.disabled"} 1');
    // Deleting the endpoint resolves its alert on the next pass.
    await srv.api('DELETE', `/api/admin/webhooks/${h.id}`, undefined, admin());
    await srv.ctx.events.evaluator.pass();
    const after = await srv.api(
      'GET',
      '/api/admin/alerts?state=resolved&type=webhook.disabled',
      undefined,
      admin(),
    );
    expect(after.body.data.alerts.map((a: { target: string }) => a.target)).toContain(h.id);
  });

  it('a hanging receiver times out; the request raising its event is not held by it; a slow one is delivered', async () => {
    const hang = await receiver('hang');
    const slow = await receiver({ slowMs: 300 });
    const hh = await hook(hang.url, ['device.revoked']);
    const hs = await hook(slow.url, ['device.revoked']);
    const d1 = await enroll();
    expect((await srv.api('DELETE', `/api/admin/devices/${d1.key}`, undefined, admin())).status).toBe(200);
    const pass = srv.ctx.events.dispatcher.pass();
    await hang.received(1);
    // While the hanging receiver holds its delivery, another revoke raising the same event answers at once.
    const d2 = await enroll();
    const revoke = await srv.api('DELETE', `/api/admin/devices/${d2.key}`, undefined, admin());
    expect(revoke.status).toBe(200);
    expect(hang.open.size).toBe(1);
    expect(await pass).toBe(2);
    // The oldest delivery is d1's (d2's waits for the next pass).
    const h = (await deliveries(hh.id)).at(-1);
    expect(h).toMatchObject({
      status: 'pending',
      attempt: 1,
      response_code: null,
      error: 'timed out after 1500 ms',
    });
    const s = (await deliveries(hs.id)).at(-1);
    expect(s).toMatchObject({ status: 'delivered', attempt: 1, response_code: 200 });
    expect(s!.response_time_ms).toBeGreaterThanOrEqual(300);
    expect(JSON.parse(slow.got[0]!.body)).toMatchObject({
      type: 'device.revoked',
      data: { device_key: d1.key },
    });
    await srv.api('DELETE', `/api/admin/webhooks/${hh.id}`, undefined, admin());
    await srv.api('DELETE', `/api/admin/webhooks/${hs.id}`, undefined, admin());
  });

  it('refuses loopback, private and link-local targets unless the operator allows them', async () => {
    const ok = await receiver('ok');
    const opts = { timeoutMs: 1000, allowPrivate: false };
    for (const url of [
      ok.url,
      ok.url.replace('127.0.0.1', 'localhost'),
      'http://169.254.169.254/x',
      'http://[::1]/x',
      'http://10.0.0.1/x',
    ]) {
      const r = await postJson(url, '{}', {}, opts);
      expect(r, url).toMatchObject({ ok: false, status: null });
      expect(r.error).toMatch(/private, loopback or link-local/);
    }
    expect(ok.got).toHaveLength(0);
    expect(await postJson(ok.url, '{}', {}, { ...opts, allowPrivate: true })).toMatchObject({
      ok: true,
      status: 200,
    });
  });
});

describe('alert rules', () => {
  const alertsOf = async (q: string) => {
    const r = await srv.api('GET', `/api/admin/alerts?${q}`, undefined, admin());
    expect(r.status, r.text).toBe(200);
    return r.body.data.alerts as {
      id: number;
      type: string;
      target: string;
      state: string;
      data: Record<string, unknown>;
    }[];
  };

  it('silence raises device.offline, the device coming back resolves it and raises device.online; live on an admin socket', async () => {
    const ok = await receiver('ok');
    await hook(ok.url, ['device.offline', 'device.online']);
    const login = await srv.api('POST', '/api/auth/login', TEST_ADMIN);
    expect(login.status, login.text).toBe(200);
    const sock = await TestSocket.open(srv.url, `?token=${encodeURIComponent(login.body.token)}`);
    await sock.next('authenticated');
    const d = await enroll();
    now = Date.now() + 3 * 60_000 + 2000;
    await srv.ctx.events.evaluator.pass();
    const open = (await alertsOf('state=open&type=device.offline')).filter((a) => a.target === d.key);
    expect(open).toHaveLength(1);
    await srv.ctx.events.dispatcher.pass();
    const live = await sock.next('alert', (x) => (x as { target: string }).target === d.key);
    expect(live.data).toMatchObject({ type: 'device.offline', state: 'open', target: d.key });
    // A second pass (or a second evaluator) raises nothing new.
    await srv.ctx.events.evaluator.pass();
    expect((await alertsOf('type=device.offline')).filter((a) => a.target === d.key)).toHaveLength(1);

    const beat = await srv.api(
      'POST',
      `/api/devices/${d.key}/online`,
      {},
      { authorization: `Bearer ${d.secret}` },
    );
    expect(beat.status, beat.text).toBe(200);
    await srv.ctx.store.devices.flush();
    now = Date.now();
    await srv.ctx.events.evaluator.pass();
    expect((await alertsOf('state=resolved&type=device.offline')).map((a) => a.target)).toContain(d.key);
    await sock.next(
      'alert',
      (x) =>
        (x as { target: string; state: string }).target === d.key &&
        (x as { state: string }).state === 'resolved',
    );
    await srv.ctx.events.dispatcher.pass();
    const types = ok.got
      .map((g) => JSON.parse(g.body) as { type: string; data: { device_key: string } })
      .filter((p) => p.data.device_key === d.key);
    expect(types.map((p) => p.type)).toEqual(['device.offline', 'device.online']);
    await sock.close();
  });

  it("a device's group silence threshold wins over the server default", async () => {
    const g = await srv.api(
      'POST',
      '/api/admin/groups',
      { name: 'slow-beaters', heartbeat_interval_sec: 300, silence_threshold_sec: 600 },
      admin(),
    );
    expect(g.status, g.text).toBeLessThan(300);
    const d = await enroll();
    const moved = await srv.api('PUT', `/api/admin/devices/${d.key}`, { group: g.body.data.id }, admin());
    expect(moved.status, moved.text).toBe(200);
    const openFor = async () =>
      (await alertsOf('state=open&type=device.offline')).filter((a) => a.target === d.key);
    // Past the default 180 s, within the group's 600 s: not silent.
    now = Date.now() + 300_000;
    await srv.ctx.events.evaluator.pass();
    expect(await openFor()).toEqual([]);
    now = Date.now() + 602_000;
    await srv.ctx.events.evaluator.pass();
    const open = await openFor();
    expect(open).toHaveLength(1);
    expect(open[0]!.data).toMatchObject({ silence_threshold_sec: 600 });
    now = Date.now();
  });

  it('quota low, exhausted and back; license expiring; each raised once and resolved', async () => {
    const c = await srv.api('POST', '/api/admin/clients', { name: 'alert-client', quota: 2 }, admin());
    expect(c.status, c.text).toBe(201);
    const id = String(c.body.data.id);
    now = Date.now();
    await srv.ctx.events.evaluator.pass();
    expect((await alertsOf('state=open&type=quota.low')).map((a) => a.target)).toEqual([id]);
    await srv.api('POST', `/api/admin/clients/${id}/reduce`, { by: 2 }, admin());
    await srv.ctx.events.evaluator.pass();
    expect((await alertsOf('state=open&type=quota.exhausted')).map((a) => a.target)).toEqual([id]);
    expect(await alertsOf('state=open&type=quota.low')).toEqual([]);
    await srv.api('POST', `/api/admin/clients/${id}/top-up`, { add: 100 }, admin());
    await srv.ctx.events.evaluator.pass();
    expect(await alertsOf('state=open&type=quota.exhausted')).toEqual([]);

    const g = await srv.api('POST', '/api/licenses/generate', { duration_days: 5 }, admin());
    expect(g.status, g.text).toBe(201);
    const a = await srv.api('POST', '/api/licenses/activate', {
      license_key: g.body.data.license_key,
      user_email: 'u@example.com',
      system_fingerprint: 'a'.repeat(64),
    });
    expect(a.status, a.text).toBe(200);
    await srv.ctx.events.evaluator.pass();
    const lic = await alertsOf('state=open&type=license.expiring');
    expect(lic).toEqual([expect.objectContaining({ target: g.body.data.id })]);
    expect(lic[0]!.data.days_left).toBeGreaterThanOrEqual(4);
    // Past its expiry it leaves the window.
    now = Date.now() + 6 * 86_400_000;
    await srv.ctx.events.evaluator.pass();
    expect(await alertsOf('state=open&type=license.expiring')).toEqual([]);
    now = Date.now();
  });

  it('repeated wrong registration tokens raise registration.guessing once; it resolves after a quiet period', async () => {
    const ok = await receiver('ok');
    await hook(ok.url, ['registration.guessing']);
    const d = await srv.api('POST', '/api/admin/devices', {}, admin());
    const key = d.body.device_key as string;
    const wrong = d.body.token_code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) {
      const r = await srv.api('POST', `/api/devices/${key}/register`, { token_code: wrong });
      expect(r.status).toBe(401);
    }
    const open = (await alertsOf('state=open&type=registration.guessing')).filter((a) => a.target === key);
    expect(open).toHaveLength(1);
    expect(open[0]!.data).toMatchObject({ device_key: key });
    await srv.ctx.events.dispatcher.pass();
    expect(ok.got.map((g) => JSON.parse(g.body).type)).toEqual(['registration.guessing']);
    now = Date.now() + 901_000;
    await srv.ctx.events.evaluator.pass();
    expect((await alertsOf('state=resolved&type=registration.guessing')).map((a) => a.target)).toContain(key);
    now = Date.now();
  });

  it('lists with seed 002 pagination; bad filters are 400', async () => {
    const p = await srv.api('GET', '/api/admin/alerts?page=1&limit=2', undefined, admin());
    expect(p.status).toBe(200);
    expect(p.body.data.pagination).toMatchObject({ page: 1, limit: 2 });
    expect(p.body.data.alerts.length).toBeLessThanOrEqual(2);
    expect(p.body.data.pagination.totalPages).toBe(Math.ceil(p.body.data.pagination.total / 2));
    for (const q of ['state=bogus', 'limit=0', 'limit=101', 'type=nope', 'page=0']) {
      const r = await srv.api('GET', `/api/admin/alerts?${q}`, undefined, admin());
      expect(r.status, q).toBe(400);
      expect(r.body.code).toBe('VALIDATION_ERROR');
    }
  });
});
