/**
 * Fleet monitoring: the device gauges per group on a real server (SQLite, or PostgreSQL in server-postgres), the
 * write-behind figures, the per-scrape-interval cache, and the shipped Grafana dashboard checked against the
 * metric names the server really exports.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetStats } from '../../src-main/server/devices/fleet-stats.js';
import { WriteBehind } from '../../src-main/server/devices/write-behind.js';
import { ServerMetrics } from '../../src-main/server/metrics.js';
import { sqliteDevicesFleet } from '../../src-main/server/store/sqlite/devices-fleet.js';
import { startTestServer, TEST_STORE, type TestServer } from '../helpers/server.js';
import { admin, createDevice, editDeviceRow, register } from './devices-helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DASHBOARD = join(ROOT, 'resources', 'grafana', 'outpost-fleet.json');

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/** The metric names a PromQL expression reads (not functions, label names, keywords, durations or strings). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?[0-9][0-9a-z]*/g, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const after = bare.slice(m.index + word.length).trimStart();
    if (after.startsWith('(') || PROMQL_WORDS.has(word)) continue;
    names.add(word);
  }
  return [...names];
}

/** `name{labels} value` lines of a Prometheus text exposition → value per series text. */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const exportedNames = (text: string) => new Set([...series(text).keys()].map((s) => s.replace(/\{.*$/, '')));

describe('fleet gauges on /metrics', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { OUTPOST_HEARTBEAT_INTERVAL_SEC: '60' } });
  });
  afterAll(async () => {
    await srv.dispose();
  });

  /** Registered devices in the group, last seen `agoSec` before `at`. */
  const placed = async (group: number, at: number, devices: Record<string, number>) => {
    for (const [key, agoSec] of Object.entries(devices)) {
      const d = await createDevice(srv, { device_key: key });
      await register(srv, d.device_key, d.token_code);
      await editDeviceRow(srv, key, { last_seen: new Date(at - agoSec * 1000).toISOString() });
    }
    const moved = await srv.api(
      'POST',
      '/api/admin/devices/move',
      { group, device_keys: Object.keys(devices) },
      admin(srv),
    );
    expect(moved.status, moved.text).toBe(200);
  };
  const newGroup = async (name: string, interval: number, threshold: number) => {
    const r = await srv.api(
      'POST',
      '/api/admin/groups',
      { name, heartbeat_interval_sec: interval, silence_threshold_sec: threshold },
      admin(srv),
    );
    expect(r.status, r.text).toBe(200);
    return r.body.data as { id: number };
  };

  it('counts registered devices online and offline per group, each by its own silence threshold', async () => {
    const a = await createDevice(srv, { device_key: 'mon-a' });
    const b = await createDevice(srv, { device_key: 'mon-b' });
    await createDevice(srv, { device_key: 'mon-never' });
    await register(srv, a.device_key, a.token_code);
    await register(srv, b.device_key, b.token_code);
    await editDeviceRow(srv, 'mon-b', { last_seen: '2020-01-01T00:00:00.000Z' });
    // The server's interval is 60 s, so a group without a threshold goes silent after 180 s. `fast-off` would
    // be online there and `slow-on` offline: only the group's own threshold counts them as asserted.
    const fast = await newGroup('Fast lane', 10, 30);
    const slow = await newGroup('slow', 600, 3600);
    await newGroup('empty', 60, 180);
    const at = Date.now();
    await placed(fast.id, at, { 'mon-fast-on': 5, 'mon-fast-off': 120 });
    await placed(slow.id, at, { 'mon-slow-on': 1800, 'mon-slow-off': 7200 });

    const r = await srv.api('GET', '/metrics');
    expect(r.status).toBe(200);
    const s = series(r.text);
    expect(s.get('outpost_devices_online{group="Default"}')).toBe(1);
    expect(s.get('outpost_devices_offline{group="Default"}')).toBe(1);
    expect(s.get('outpost_devices_online{group="Fast lane"}')).toBe(1);
    expect(s.get('outpost_devices_offline{group="Fast lane"}')).toBe(1);
    expect(s.get('outpost_devices_online{group="slow"}')).toBe(1);
    expect(s.get('outpost_devices_offline{group="slow"}')).toBe(1);
    expect(s.get('outpost_devices_online{group="empty"}')).toBe(0);
    expect(s.get('outpost_devices_offline{group="empty"}')).toBe(0);
    expect(s.has('outpost_devices_online{group="default"}')).toBe(false);
    expect(s.get('outpost_heartbeat_write_failures_total')).toBe(0);
    expect(s.get('outpost_heartbeat_write_queue_depth')).toBeGreaterThanOrEqual(0);

    // The same store under an injected clock, 40 s later: the fast group's device is now beyond its 30 s, the
    // default group's device (seen at registration, within the 180 s default) and the slow one are not.
    const stats = new FleetStats({
      repo: srv.ctx.store.fleet,
      defaultThresholdSec: 180,
      now: () => at + 40_000,
    });
    const by = new Map((await stats.get()).map((c) => [c.group, c]));
    expect(by.get('Default')).toEqual({ group: 'Default', online: 1, offline: 1 });
    expect(by.get('Fast lane')).toEqual({ group: 'Fast lane', online: 0, offline: 2 });
    expect(by.get('slow')).toEqual({ group: 'slow', online: 1, offline: 1 });
    expect(by.get('empty')).toEqual({ group: 'empty', online: 0, offline: 0 });
  });

  it('counts the fleet at most once per TTL on the real store (injected clock)', async () => {
    let now = Date.now();
    const stats = new FleetStats({
      repo: srv.ctx.store.fleet,
      defaultThresholdSec: 180,
      ttlMs: 15_000,
      now: () => now,
    });
    const first = await stats.get();
    const c = await createDevice(srv, { device_key: 'mon-c' });
    await register(srv, c.device_key, c.token_code);
    now += 14_999;
    // Concurrent scrapes within the TTL: the cached count, no new pass over the table.
    const [x, y] = await Promise.all([stats.get(), stats.get()]);
    expect(x).toEqual(first);
    expect(y).toEqual(first);
    expect(stats.loads).toBe(1);
    now += 1;
    const fresh = await stats.get();
    expect(stats.loads).toBe(2);
    expect(fresh[0]!.online).toBe(first[0]!.online + 1);
    // Time past every device's window: all registered devices count offline.
    now += 3_600_000;
    const later = await stats.get();
    expect(later[0]!.online).toBe(0);
    expect(later[0]!.offline).toBe(fresh[0]!.online + fresh[0]!.offline);
  });

  // Only the SQLite store counts in key ranges; the server-postgres project runs this file again on PostgreSQL,
  // where there is no SQLite file to count, so the case is defined for the SQLite run only (never a skip in CI).
  if (TEST_STORE === 'sqlite')
    it('SQLite counts in key ranges to the same figures as in one pass', async () => {
      await srv.ctx.store.devices.flush();
      const policy = { now: Date.now(), defaultThresholdSec: 180 };
      const whole = await srv.ctx.store.fleet.counts(policy);
      const db = new Database(join(srv.dataDir, 'server.db'), { readonly: true });
      try {
        for (const chunk of [1, 2, 3, 1000])
          expect(await sqliteDevicesFleet(db, chunk).counts(policy)).toEqual(whole);
      } finally {
        db.close();
      }
      expect(whole.map((g) => g.group)).toEqual(['Default', 'Fast lane', 'slow', 'empty']);
      expect(whole.reduce((n, g) => n + g.online + g.offline, 0)).toBeGreaterThanOrEqual(7);
    });

  it('the shipped Grafana dashboard uses only metrics the server exports', async () => {
    const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      templating: { list: Array<{ name: string; type: string; query: string }> };
      panels: Array<{
        type: string;
        title: string;
        datasource?: { uid: string };
        targets?: Array<{ expr: string; datasource?: { uid: string } }>;
      }>;
    };
    expect(dash.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    const scraped = exportedNames((await srv.api('GET', '/metrics')).text);
    const declared = readFileSync(join(ROOT, 'src-main', 'server', 'metrics.ts'), 'utf8');
    const used = new Set<string>();
    for (const p of dash.panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        expect(t.datasource?.uid, p.title).toBe('${datasource}');
        const names = metricNames(t.expr);
        expect(names.length, t.expr).toBeGreaterThan(0);
        for (const n of names) used.add(n);
      }
    }
    const missing = [...used].filter((n) => !scraped.has(n) && !declared.includes(`'${n}'`));
    expect(missing).toEqual([]);
    // The fleet figures this dashboard exists for are all in it.
    for (const n of [
      'outpost_devices_online',
      'outpost_devices_offline',
      'outpost_alerts_open',
      'outpost_webhook_delivery_failures_total',
      'outpost_heartbeat_write_failures_total',
      'outpost_heartbeat_write_queue_depth',
      'http_requests_total',
      'outpost_device_heartbeats_total',
      'websocket_connections_active',
    ]) {
      expect(used, n).toContain(n);
    }
  });
});

describe('metricNames', () => {
  it('finds metric names, not functions, labels, keywords or durations', () => {
    expect(
      metricNames('sum by (group) (rate(http_requests_total{status=~"5..", job="x"}[$__rate_interval]))'),
    ).toEqual(['http_requests_total']);
    expect(metricNames('max(outpost_alerts_open) / on (instance) group_left count(up) offset 5m')).toEqual([
      'outpost_alerts_open',
      'up',
    ]);
  });
});

describe('write-behind figures', () => {
  it('counts failed heartbeat writes and the queue the metrics read', () => {
    let fail = true;
    const w = new WriteBehind({
      writeSlice: () => {
        if (fail) throw new Error('disk full');
      },
      flushMs: 60_000,
    });
    w.record('k1', { last_seen: '2026-01-01T00:00:00.000Z', info: {} });
    w.record('k2', { last_seen: '2026-01-01T00:00:00.000Z', info: {} });
    expect(() => w.flushSync()).toThrow('disk full');
    expect(w.failures).toBe(1);
    expect(w.size).toBe(2);
    fail = false;
    w.close();
    expect(w.failures).toBe(1);
    expect(w.size).toBe(0);
  });

  it('ServerMetrics exports what its fleet source reports', async () => {
    const m = new ServerMetrics();
    m.observeFleet({
      fleet: async () => [
        { group: 'default', online: 3, offline: 1 },
        { group: 'lobby', online: 2, offline: 0 },
      ],
      backlog: () => ({ queued: 7, failed_writes: 2 }),
    });
    const s = series(await m.registry.metrics());
    expect(s.get('outpost_devices_online{group="lobby"}')).toBe(2);
    expect(s.get('outpost_devices_offline{group="default"}')).toBe(1);
    expect(s.get('outpost_heartbeat_write_queue_depth')).toBe(7);
    expect(s.get('outpost_heartbeat_write_failures_total')).toBe(2);
  });
});
