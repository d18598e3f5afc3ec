import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PluginView } from '../../src-shared/api/telemetry.js';
import { startTestServer, TEST_STORE, type TestServer } from '../helpers/server.js';

/** The request body of seed 000, verbatim. */
const SEED_HEARTBEAT = {
  plugin_id: 'progran3-desktop-60aqeiu-provis3d',
  plugin_name: 'ProGran3',
  version: '1.0.0',
  user_id: 'ProVis3D@DESKTOP-60AQEIU',
  computer_name: 'DESKTOP-60AQEIU',
  system_info: 'Windows 10.0.19045',
  timestamp: '2025-09-20T13:27:09.295+00:00',
  action: 'heartbeat_update',
  source: 'sketchup_plugin',
  update_existing: true,
  force_update: false,
};
const SEED_HEADERS = { 'user-agent': 'ProGran3-Plugin/1.0' };

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function pluginsById(srv: TestServer): Promise<Map<string, PluginView>> {
  const r = await srv.api('GET', '/api/plugins', undefined, { 'x-api-key': srv.apiKey });
  expect(r.status).toBe(200);
  return new Map((r.body.data.plugins as PluginView[]).map((p) => [p.plugin_id, p]));
}

async function pluginRow(srv: TestServer, id: string): Promise<PluginView> {
  const row = (await pluginsById(srv)).get(id);
  if (!row) throw new Error(`plugin ${id} not listed`);
  return row;
}

describe('seed 000 telemetry: POST /api/heartbeat and GET /api/plugins', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.dispose();
  });

  it("accepts the seed's example request verbatim and answers exactly the seed's shape", async () => {
    const r = await srv.api('POST', '/api/heartbeat', SEED_HEARTBEAT, SEED_HEADERS);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      success: true,
      message: 'Heartbeat updated successfully',
      plugin: {
        id: expect.any(Number),
        plugin_id: SEED_HEARTBEAT.plugin_id,
        last_heartbeat: expect.stringMatching(ISO_UTC),
        is_active: true,
      },
    });
  });

  it('upserts by plugin_id: a second heartbeat updates the same row instead of adding one', async () => {
    const id = 'progran3-upsert-host-user';
    const first = await srv.api('POST', '/api/heartbeat', { ...SEED_HEARTBEAT, plugin_id: id });
    const before = await pluginRow(srv, id);
    const second = await srv.api('POST', '/api/heartbeat', {
      plugin_id: id,
      version: '1.1.0',
      timestamp: '2025-09-20T13:32:09.000+00:00',
    });
    expect(second.status).toBe(200);
    expect(second.body.plugin.id).toBe(first.body.plugin.id);
    expect(second.body.plugin.last_heartbeat >= first.body.plugin.last_heartbeat).toBe(true);

    const list = await srv.api('GET', '/api/plugins', undefined, { 'x-api-key': srv.apiKey });
    const rows = list.body.data.plugins.filter((p: PluginView) => p.plugin_id === id);
    expect(rows).toHaveLength(1);
    const after = rows[0];
    expect(after.version).toBe('1.1.0');
    expect(after.client_timestamp).toBe('2025-09-20T13:32:09.000+00:00');
    // Fields the second heartbeat left out keep their previous values; creation time does not move.
    expect(after.plugin_name).toBe('ProGran3');
    expect(after.computer_name).toBe('DESKTOP-60AQEIU');
    expect(after.created_at).toBe(before.created_at);
    expect(after.updated_at >= before.updated_at).toBe(true);
  });

  it('shows the identical last_heartbeat string in both APIs (server receive time; client clock kept apart)', async () => {
    const id = 'progran3-sync-check';
    // A client whose clock is years off must not decide when it was last seen.
    const hb = await srv.api('POST', '/api/heartbeat', {
      ...SEED_HEARTBEAT,
      plugin_id: id,
      timestamp: '2001-01-01T00:00:00.000+02:00',
    });
    const row = await pluginRow(srv, id);
    expect(row.last_heartbeat).toBe(hb.body.plugin.last_heartbeat);
    expect(row.is_active).toBe(hb.body.plugin.is_active);
    expect(row.id).toBe(hb.body.plugin.id);
    expect(row.client_timestamp).toBe('2001-01-01T00:00:00.000+02:00');
    expect(row.last_heartbeat).toMatch(ISO_UTC);
    expect(row.last_heartbeat.startsWith('2001')).toBe(false);
  });

  it("GET /api/plugins has the seed's full shape and no-cache headers", async () => {
    await srv.api('POST', '/api/heartbeat', SEED_HEARTBEAT);
    const r = await srv.api('GET', '/api/plugins', undefined, { 'x-api-key': srv.apiKey });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    expect(r.headers.get('pragma')).toBe('no-cache');
    expect(r.headers.get('expires')).toBe('0');

    const d = r.body.data;
    expect(r.body.success).toBe(true);
    expect(Object.keys(d).sort()).toEqual(['diagnosis', 'last_updated', 'plugins', 'stats', 'sync_info']);
    const seedRow = d.plugins.find((p: PluginView) => p.plugin_id === SEED_HEARTBEAT.plugin_id);
    expect(seedRow).toMatchObject({
      id: expect.any(Number),
      plugin_name: 'ProGran3',
      version: '1.0.0',
      user_id: 'ProVis3D@DESKTOP-60AQEIU',
      computer_name: 'DESKTOP-60AQEIU',
      ip_address: '127.0.0.1',
      is_active: true,
      created_at: expect.stringMatching(ISO_UTC),
      updated_at: expect.stringMatching(ISO_UTC),
    });
    expect(d.stats.total_plugins).toBe(d.plugins.length);
    expect(d.stats.active_plugins).toBe(d.plugins.filter((p: PluginView) => p.is_active).length);
    expect(d.stats.recent_plugins).toBe(d.plugins.length);
    expect(d.sync_info).toEqual({ ...d.stats, last_check: expect.stringMatching(ISO_UTC) });
    expect(d.diagnosis).toMatchObject({
      connection: 'OK',
      stats: { ...d.stats, active_window_sec: 900, recent_window_sec: 86400, database: TEST_STORE },
      diagnosis_time: expect.stringMatching(ISO_UTC),
    });
    expect(d.diagnosis.recent_records.length).toBeGreaterThan(0);
    expect(d.diagnosis.recent_records[0]).toEqual(d.plugins[0]);
    expect(d.last_updated).toMatch(ISO_UTC);
    // Newest first.
    const beats = d.plugins.map((p: PluginView) => p.last_heartbeat);
    expect([...beats].sort().reverse()).toEqual(beats);
  });

  it('takes ip_address from the connection, not from the body or an unproxied X-Forwarded-For', async () => {
    const id = 'progran3-ip-check';
    await srv.api(
      'POST',
      '/api/heartbeat',
      { plugin_id: id, ip_address: '6.6.6.6' },
      { 'x-forwarded-for': '7.7.7.7' },
    );
    expect((await pluginRow(srv, id)).ip_address).toBe('127.0.0.1');
  });

  it('pages the list with limit and offset while stats still count everything', async () => {
    const all = await srv.api('GET', '/api/plugins', undefined, { 'x-api-key': srv.apiKey });
    const page = await srv.api('GET', '/api/plugins?limit=1&offset=1', undefined, {
      'x-api-key': srv.apiKey,
    });
    expect(page.status).toBe(200);
    expect(page.body.data.plugins).toEqual([all.body.data.plugins[1]]);
    expect(page.body.data.stats).toEqual(all.body.data.stats);
    expect(page.body.data.diagnosis.recent_records[0]).toEqual(all.body.data.plugins[0]);
  });

  it('GET /api/plugins needs the admin API key: none or a wrong one → 401, nothing listed', async () => {
    for (const headers of [{}, { 'x-api-key': 'wrong-key' }, { 'x-api-key': '' }] as Record<
      string,
      string
    >[]) {
      const r = await srv.api('GET', '/api/plugins', undefined, headers);
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
      expect(r.text).not.toContain('progran3-');
    }
  });

  it('accepts real Windows user names: inner spaces, apostrophes and non-Latin lowercase letters', async () => {
    for (const id of ['progran3-desktop-1-john smith', "progran3-pc-o'brien", 'progran3-пк-іван']) {
      const r = await srv.api('POST', '/api/heartbeat', { plugin_id: id, plugin_name: 'ProGran3' });
      expect(r.status, id).toBe(200);
      expect(r.body.plugin.plugin_id).toBe(id);
    }
  });

  it('rejects limit=0 and limit=abc on GET /api/plugins with 400 VALIDATION_ERROR', async () => {
    for (const q of ['limit=0', 'limit=abc', 'offset=-1']) {
      const r = await srv.api('GET', `/api/plugins?${q}`, undefined, { 'x-api-key': srv.apiKey });
      expect(r.status, q).toBe(400);
      expect(r.body.code).toBe('VALIDATION_ERROR');
    }
  });

  it('counts accepted heartbeats in /metrics', async () => {
    await srv.api('POST', '/api/heartbeat', SEED_HEARTBEAT);
    const m = await srv.api('GET', '/metrics');
    expect(m.text).toMatch(/^outpost_plugin_heartbeats_total [1-9]\d*$/m);
  });

  it('documents both routes in the OpenAPI document', async () => {
    const r = await srv.api('GET', '/api/openapi.json');
    expect(r.body.paths['/api/heartbeat'].post).toBeDefined();
    expect(r.body.paths['/api/plugins'].get).toBeDefined();
  });

  describe('validation: 400 VALIDATION_ERROR with per-field details', () => {
    const cases: Array<[string, unknown, string]> = [
      ['missing plugin_id', { plugin_name: 'ProGran3' }, 'body.plugin_id'],
      ['empty plugin_id', { plugin_id: '' }, 'body.plugin_id'],
      ['uppercase plugin_id', { plugin_id: 'ProGran3-Desktop-60AQEIU' }, 'body.plugin_id'],
      ['plugin_id with a leading space', { plugin_id: ' progran3-desktop' }, 'body.plugin_id'],
      ['plugin_id with a tab', { plugin_id: 'progran3\tdesktop' }, 'body.plugin_id'],
      ['plugin_id with a slash', { plugin_id: 'progran3/../etc' }, 'body.plugin_id'],
      ['plugin_id of 129 characters', { plugin_id: 'a'.repeat(129) }, 'body.plugin_id'],
      ['plugin_id as a number', { plugin_id: 12345 }, 'body.plugin_id'],
      ['timestamp that is not a date', { plugin_id: 'p1', timestamp: 'yesterday' }, 'body.timestamp'],
      [
        'timestamp without a timezone',
        { plugin_id: 'p1', timestamp: '2025-09-20T13:27:09.295' },
        'body.timestamp',
      ],
      ['timestamp with month 13', { plugin_id: 'p1', timestamp: '2025-13-20T13:27:09Z' }, 'body.timestamp'],
      [
        'huge plugin_name (100 kB)',
        { plugin_id: 'p1', plugin_name: 'x'.repeat(100_000) },
        'body.plugin_name',
      ],
      ['huge system_info (10 kB)', { plugin_id: 'p1', system_info: 'x'.repeat(10_000) }, 'body.system_info'],
      ['huge user_id', { plugin_id: 'p1', user_id: 'u'.repeat(5_000) }, 'body.user_id'],
      ['update_existing as a string', { plugin_id: 'p1', update_existing: 'yes' }, 'body.update_existing'],
      ['version as an object', { plugin_id: 'p1', version: { major: 1 } }, 'body.version'],
    ];
    it.each(cases)('%s', async (_name, body, field) => {
      const r = await srv.api('POST', '/api/heartbeat', body);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR', error: expect.any(String) });
      expect(r.body.details).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
    });

    it('reports every bad field at once (uppercase id, bad timestamp, huge name)', async () => {
      const r = await srv.api('POST', '/api/heartbeat', {
        plugin_id: 'UPPER',
        timestamp: 'nope',
        plugin_name: 'n'.repeat(1000),
      });
      expect(r.status).toBe(400);
      expect(r.body.details.map((d: { field: string }) => d.field).sort()).toEqual([
        'body.plugin_id',
        'body.plugin_name',
        'body.timestamp',
      ]);
    });

    it.each([
      ['a JSON array', [SEED_HEARTBEAT]],
      ['a JSON string', '"progran3"'],
      ['JSON null', 'null'],
    ])('rejects a body that is %s', async (_name, body) => {
      const r = await srv.api('POST', '/api/heartbeat', body);
      expect(r.status).toBe(400);
      expect(['VALIDATION_ERROR', 'INVALID_JSON']).toContain(r.body.code);
    });

    it('stores nothing for a rejected heartbeat', async () => {
      await srv.api('POST', '/api/heartbeat', { plugin_id: 'rejected-one', timestamp: 'bad' });
      expect((await pluginsById(srv)).has('rejected-one')).toBe(false);
    });
  });
});

describe('seed 000 telemetry: is_active after 3 missed intervals (OUTPOST_PLUGIN_INTERVAL_SEC=1)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { OUTPOST_PLUGIN_INTERVAL_SEC: '1' } });
  });
  afterAll(async () => {
    await srv.dispose();
  });

  it('turns is_active false once the last heartbeat is older than 3 intervals, and true again on the next', async () => {
    const id = 'progran3-goes-quiet';
    const hb = await srv.api('POST', '/api/heartbeat', { plugin_id: id });
    expect(hb.body.plugin.is_active).toBe(true);
    const seenAt = Date.parse(hb.body.plugin.last_heartbeat);

    // Waits for the server's clock to pass the window; the assertion is on state, not on timing.
    await vi.waitFor(
      async () => {
        const r = await srv.api('GET', '/api/plugins', undefined, { 'x-api-key': srv.apiKey });
        const row = r.body.data.plugins.find((p: PluginView) => p.plugin_id === id);
        expect(row.is_active).toBe(false);
        expect(r.body.data.stats.active_plugins).toBe(0);
        expect(r.body.data.stats.recent_plugins).toBe(1);
        expect(r.body.data.diagnosis.stats.active_window_sec).toBe(3);
      },
      { timeout: 15_000, interval: 250 },
    );
    expect(Date.now() - seenAt).toBeGreaterThanOrEqual(3000);

    const again = await srv.api('POST', '/api/heartbeat', { plugin_id: id });
    expect(again.body.plugin.is_active).toBe(true);
    const row = await pluginRow(srv, id);
    expect(row.is_active).toBe(true);
  });
});

describe('seed 000 telemetry: per-IP rate limit (OUTPOST_RATE_LIMIT_PER_MIN=5)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { OUTPOST_RATE_LIMIT_PER_MIN: '5' } });
  });
  afterAll(async () => {
    await srv.dispose();
  });

  it('answers the 6th heartbeat in a minute with 429 RATE_LIMIT_EXCEEDED, details.resetAt and Retry-After', async () => {
    for (let i = 0; i < 5; i++) {
      const ok = await srv.api('POST', '/api/heartbeat', { plugin_id: `rl-${i}` });
      expect(ok.status).toBe(200);
    }
    const r = await srv.api('POST', '/api/heartbeat', { plugin_id: 'rl-6' });
    expect(r.status).toBe(429);
    expect(r.body).toEqual({
      success: false,
      error: expect.any(String),
      code: 'RATE_LIMIT_EXCEEDED',
      details: { resetAt: expect.stringMatching(ISO_UTC) },
    });
    const resetAt = Date.parse(r.body.details.resetAt);
    expect(resetAt).toBeGreaterThan(Date.now() - 1000);
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The limited heartbeat was not stored.
    const list = await srv.api('GET', '/api/plugins', undefined, { 'x-api-key': srv.apiKey });
    expect(list.body.data.plugins.map((p: PluginView) => p.plugin_id)).not.toContain('rl-6');
  });

  it('limits even malformed bodies (the limit runs before parsing)', async () => {
    const r = await srv.api('POST', '/api/heartbeat', '{not json');
    expect(r.status).toBe(429);
    expect(r.body.code).toBe('RATE_LIMIT_EXCEEDED');
  });
});
