import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceListResponse } from '../../src-shared/api/inventory.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { admin, bearer, createDevice, editDeviceRow, register } from './devices-helpers.js';

/** The fleet inventory over real HTTP, on the suite's store (SQLite in `unit`, PostgreSQL in `server-postgres`). */
describe('device inventory and groups', () => {
  let srv: TestServer;
  const api = (method: string, path: string, body?: unknown) => srv.api(method, path, body, admin(srv));
  const list = async (query: string) => {
    const r = await api('GET', `/api/admin/devices?${query}`);
    expect(r.status, r.text).toBe(200);
    return r.body.data as DeviceListResponse['data'];
  };
  const keysOf = (d: { devices: Array<{ device_key: string }> }) => d.devices.map((x) => x.device_key);
  const newGroup = async (name: string, interval: number, threshold: number) => {
    const r = await api('POST', '/api/admin/groups', {
      name,
      heartbeat_interval_sec: interval,
      silence_threshold_sec: threshold,
    });
    expect(r.status, r.text).toBe(200);
    return r.body.data as { id: number; name: string };
  };
  const beat = (key: string, secret: string, body: object = {}) =>
    srv.api('POST', `/api/devices/${key}/online`, body, bearer(secret));

  beforeAll(async () => {
    srv = await startTestServer({ env: { OUTPOST_HEARTBEAT_INTERVAL_SEC: '60' } });
  });
  afterAll(async () => {
    await srv.dispose();
  });

  describe('GET /api/admin/devices', () => {
    beforeAll(async () => {
      for (let i = 0; i < 7; i++) await createDevice(srv, { device_key: `page-${i}` });
    });

    it('pages: total, totalPages, the last partial page and an empty page past the end', async () => {
      const p1 = await list('search=page-&sort=device_key&order=asc&limit=3');
      expect(p1.pagination).toEqual({ page: 1, limit: 3, total: 7, totalPages: 3 });
      expect(keysOf(p1)).toEqual(['page-0', 'page-1', 'page-2']);
      const p3 = await list('search=page-&sort=device_key&order=asc&limit=3&page=3');
      expect(keysOf(p3)).toEqual(['page-6']);
      const p4 = await list('search=page-&sort=device_key&order=asc&limit=3&page=4');
      expect(p4.devices).toEqual([]);
      expect(p4.pagination.total).toBe(7);
    });

    it('lists in the seed 002 envelope with state, group and hostname', async () => {
      const r = await api('GET', '/api/admin/devices?search=page-0');
      expect(r.body.success).toBe(true);
      expect(r.body.data.devices[0]).toMatchObject({
        device_key: 'page-0',
        state: 'never',
        status: 'pending',
        group: { id: 1, name: 'Default' },
        hostname: null,
      });
    });

    it('rejects a limit over 100, a bad state or sort with 400 and the seed 002 envelope', async () => {
      for (const q of ['limit=101', 'state=asleep', 'sort=name', 'page=0', 'order=up', 'group=x']) {
        const r = await api('GET', `/api/admin/devices?${q}`);
        expect(r.status, q).toBe(400);
        expect(r.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
      }
    });

    it('sorts by device_key, created_at and last_seen, both ways, with NULLs last descending', async () => {
      const s1 = await register(
        srv,
        'page-3',
        (await api('POST', '/api/admin/devices/page-3/token')).body.token_code,
      );
      const s2 = await register(
        srv,
        'page-5',
        (await api('POST', '/api/admin/devices/page-5/token')).body.token_code,
      );
      await editDeviceRow(srv, 'page-3', { last_seen: new Date(Date.now() - 5000).toISOString() });
      void s1;
      void s2;
      expect(keysOf(await list('search=page-&sort=device_key&order=desc&limit=2'))).toEqual([
        'page-6',
        'page-5',
      ]);
      const created = keysOf(await list('search=page-&sort=created_at&order=asc'));
      expect(created).toEqual([...created].sort());
      expect(keysOf(await list('search=page-&sort=created_at&order=desc'))).toEqual([...created].reverse());
      const bySeen = keysOf(await list('search=page-&sort=last_seen&order=desc'));
      expect(bySeen.slice(0, 2)).toEqual(['page-5', 'page-3']);
      const bySeenAsc = keysOf(await list('search=page-&sort=last_seen&order=asc'));
      expect(bySeenAsc.slice(-2)).toEqual(['page-3', 'page-5']);
    });

    it('searches literally and case-insensitively: % _ \\ and quotes match only themselves', async () => {
      const notes: Record<string, string> = {
        'meta-pct': 'rate 100% ok',
        'meta-und': 'snake_case',
        'meta-bsl': 'C:\\path',
        'meta-quo': `it's "quoted"`,
        'meta-plain': 'Plain Lobby',
      };
      for (const [k, note] of Object.entries(notes)) await createDevice(srv, { device_key: k, note });
      const find = async (term: string) =>
        keysOf(await list(`search=${encodeURIComponent(term)}&sort=device_key&order=asc`)).filter((k) =>
          k.startsWith('meta-'),
        );
      expect(await find('%')).toEqual(['meta-pct']);
      expect(await find('_')).toEqual(['meta-und']);
      expect(await find('\\')).toEqual(['meta-bsl']);
      expect(await find(`'s "q`)).toEqual(['meta-quo']);
      expect(await find('plain lobby')).toEqual(['meta-plain']);
      expect(await find('META-PL')).toEqual(['meta-plain']);
    });

    it('searches IP, MAC and hostname reported at registration and by heartbeats', async () => {
      const d = await createDevice(srv, { device_key: 'info-1' });
      const secret = await register(srv, d.device_key, d.token_code, {
        ip_lan: '10.9.8.7',
        mac: 'AA:BB:CC:00:11:22',
        hostname: 'kiosk-lobby.local',
      });
      expect((await beat('info-1', secret, { hostname: 'Kiosk-Renamed.local' })).status).toBe(200);
      expect(keysOf(await list('search=10.9.8'))).toEqual(['info-1']);
      expect(keysOf(await list('search=bb:cc:00'))).toEqual(['info-1']);
      const byHost = await list('search=kiosk-renamed');
      expect(keysOf(byHost)).toEqual(['info-1']);
      expect(byHost.devices[0]!.hostname).toBe('Kiosk-Renamed.local');
    });

    it('filters by state (never, online, offline, revoked) and by group', async () => {
      const on = await createDevice(srv, { device_key: 'st-online' });
      await register(srv, on.device_key, on.token_code);
      const off = await createDevice(srv, { device_key: 'st-offline' });
      await register(srv, off.device_key, off.token_code);
      await editDeviceRow(srv, 'st-offline', { last_seen: new Date(Date.now() - 3600_000).toISOString() });
      await createDevice(srv, { device_key: 'st-never' });
      const rev = await createDevice(srv, { device_key: 'st-revoked' });
      await register(srv, rev.device_key, rev.token_code);
      expect((await api('DELETE', '/api/admin/devices/st-revoked')).status).toBe(200);
      for (const state of ['online', 'offline', 'never', 'revoked']) {
        const got = await list(`search=st-&state=${state}`);
        expect(keysOf(got), state).toEqual([`st-${state}`]);
        expect(got.devices[0]!.state).toBe(state);
      }
      const g = await newGroup('filter-group', 30, 90);
      expect((await api('PUT', '/api/admin/devices/st-never', { group: g.id })).status).toBe(200);
      const inGroup = await list(`group=${g.id}`);
      expect(keysOf(inGroup)).toEqual(['st-never']);
      expect(inGroup.devices[0]!.group).toEqual({ id: g.id, name: 'filter-group' });
    });

    it('exports the same filter as CSV, every page, formula cells defused', async () => {
      await createDevice(srv, { device_key: 'csv-1', note: '=HYPERLINK("http://x")' });
      await createDevice(srv, { device_key: 'csv-2', note: 'comma, and "quote"' });
      await createDevice(srv, { device_key: 'csv-3', note: '+1' });
      const r = await srv.api('GET', '/api/admin/devices?search=csv-&limit=1', undefined, {
        ...admin(srv),
        accept: 'text/csv',
      });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(r.headers.get('content-disposition')).toMatch(/attachment; filename="devices-/);
      const lines = r.text.trim().split('\r\n');
      expect(lines[0]).toMatch(/^device_key,state,group,note,hostname,/);
      expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['csv-1', 'csv-2', 'csv-3']);
      expect(lines[1]).toContain(`"'=HYPERLINK(""http://x"")"`);
      expect(lines[2]).toContain(`"comma, and ""quote"""`);
      expect(lines[3]).toContain(`,'+1,`);
    });
  });

  describe('PUT /api/admin/devices/:key and the device page', () => {
    it('validates: nothing to change, too long a note, unknown group, unknown device', async () => {
      await createDevice(srv, { device_key: 'put-1' });
      const cases: Array<[unknown, number, string]> = [
        [{}, 400, 'VALIDATION_ERROR'],
        [{ note: 'x'.repeat(501) }, 400, 'VALIDATION_ERROR'],
        [{ group: 0 }, 400, 'VALIDATION_ERROR'],
        [{ group: 'two' }, 400, 'VALIDATION_ERROR'],
        [{ group: 999_999 }, 404, 'GROUP_NOT_FOUND'],
      ];
      for (const [body, status, code] of cases) {
        const r = await api('PUT', '/api/admin/devices/put-1', body);
        expect(r.status, JSON.stringify(body)).toBe(status);
        expect(r.body).toMatchObject({ success: false, code });
      }
      const ghost = await api('PUT', '/api/admin/devices/no-such-device', { note: 'x' });
      expect(ghost.status).toBe(404);
      expect(ghost.body.code).toBe('DEVICE_NOT_FOUND');
    });

    it('edits note and group, shows them with the transitions, and records both on the timeline', async () => {
      const g = await newGroup('put-group', 20, 60);
      const r = await api('PUT', '/api/admin/devices/put-1', { note: 'rack 4', group: g.id });
      expect(r.status, r.text).toBe(200);
      expect(r.body.data).toMatchObject({
        device_key: 'put-1',
        note: 'rack 4',
        group: { id: g.id, name: 'put-group' },
        heartbeat_interval_sec: 20,
        silence_threshold_sec: 60,
        state: 'never',
      });
      expect(r.body.data.transitions).toMatchObject({ registered_at: null, went_offline_at: null });
      const got = await api('GET', '/api/admin/devices/put-1');
      expect(got.body.data.note).toBe('rack 4');
      // The same values again change nothing and record nothing.
      await api('PUT', '/api/admin/devices/put-1', { note: 'rack 4', group: g.id });
      const t = await api('GET', '/api/admin/devices/put-1/timeline');
      expect(t.status).toBe(200);
      const types = t.body.data.events.map((e: { type: string }) => e.type);
      expect(types).toEqual(['note_changed', 'group_changed', 'token_issued', 'created']);
      expect(t.body.data.events[1].details).toEqual({ from: 1, to: g.id });
      expect(t.body.data.events[0].details).toEqual({ from: null, to: 'rack 4' });
      expect((await api('GET', '/api/admin/devices/no-such-device')).status).toBe(404);
    });

    it('keeps a timeline: registered, IP and MAC changes only on change, SSH key, token, revoked; paged', async () => {
      const d = await createDevice(srv, { device_key: 'tl-1' });
      const secret = await register(srv, d.device_key, d.token_code, { ip_address: '192.0.2.1', mac: 'm-1' });
      await beat('tl-1', secret, { ip_address: '192.0.2.1', mac: 'm-1' });
      await beat('tl-1', secret, { ip_address: '192.0.2.2', mac: 'm-1' });
      await beat('tl-1', secret, { ip_address: '192.0.2.2', mac: 'm-2' });
      await beat('tl-1', secret, { ip_address: '192.0.2.2', mac: 'm-2' });
      const key =
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test@host';
      expect(
        (await srv.api('PUT', '/api/devices/tl-1/ssh-key', { pubkey: key }, bearer(secret))).status,
      ).toBe(200);
      await api('POST', '/api/admin/devices/tl-1/token');
      await api('DELETE', '/api/admin/devices/tl-1');
      // Appends after the answer are fire-and-forget: give them their turn.
      let events: Array<{ type: string; details?: Record<string, unknown> }> = [];
      for (let i = 0; i < 50; i++) {
        events = (await api('GET', '/api/admin/devices/tl-1/timeline?limit=100')).body.data.events;
        if (events.length >= 8) break;
        await new Promise((r) => setImmediate(r));
      }
      expect(events.map((e) => e.type)).toEqual([
        'revoked',
        'token_issued',
        'ssh_key_published',
        'mac_changed',
        'ip_changed',
        'registered',
        'token_issued',
        'created',
      ]);
      expect(events.find((e) => e.type === 'ip_changed')!.details).toEqual({
        from: '192.0.2.1',
        to: '192.0.2.2',
      });
      const p2 = await api('GET', '/api/admin/devices/tl-1/timeline?limit=3&page=2');
      expect(p2.body.data.pagination).toEqual({ page: 2, limit: 3, total: 8, totalPages: 3 });
      expect(p2.body.data.events.map((e: { type: string }) => e.type)).toEqual([
        'mac_changed',
        'ip_changed',
        'registered',
      ]);
    });

    it('counts heartbeats per hour: 168 buckets, oldest first, the current hour last', async () => {
      const d = await createDevice(srv, { device_key: 'hb-1' });
      const secret = await register(srv, d.device_key, d.token_code);
      for (let i = 0; i < 5; i++) expect((await beat('hb-1', secret)).status).toBe(200);
      const r = await api('GET', '/api/admin/devices/hb-1/heartbeats');
      expect(r.status).toBe(200);
      const buckets = r.body.data.buckets as Array<{ hour: string; count: number }>;
      expect(buckets).toHaveLength(168);
      expect(Date.parse(buckets[1]!.hour) - Date.parse(buckets[0]!.hour)).toBe(3600_000);
      const last = buckets[167]!;
      // The heartbeats may straddle an hour boundary: the last two buckets hold all five.
      expect(last.count + buckets[166]!.count).toBe(5);
      expect(Date.now() - Date.parse(last.hour)).toBeLessThan(3600_000);
      expect(buckets.slice(0, 166).every((b) => b.count === 0)).toBe(true);
    });
  });

  describe('groups', () => {
    it('creates, lists with device counts, updates, and validates the policy', async () => {
      const g = await newGroup('Lobby kiosks', 30, 120);
      const dup = await api('POST', '/api/admin/groups', {
        name: 'lobby KIOSKS',
        heartbeat_interval_sec: 30,
        silence_threshold_sec: 90,
      });
      expect(dup.status).toBe(409);
      const bad: object[] = [
        { name: 'x', heartbeat_interval_sec: 4, silence_threshold_sec: 10 },
        { name: 'x', heartbeat_interval_sec: 3601, silence_threshold_sec: 4000 },
        { name: 'x', heartbeat_interval_sec: 60, silence_threshold_sec: 30 },
        { name: '', heartbeat_interval_sec: 60, silence_threshold_sec: 60 },
        { heartbeat_interval_sec: 60, silence_threshold_sec: 60 },
      ];
      for (const b of bad)
        expect((await api('POST', '/api/admin/groups', b)).status, JSON.stringify(b)).toBe(400);
      // A PUT that would leave the threshold under the interval is refused by the store's check.
      const under = await api('PUT', `/api/admin/groups/${g.id}`, { heartbeat_interval_sec: 600 });
      expect(under.status).toBe(400);
      expect(under.body.code).toBe('VALIDATION_ERROR');
      const up = await api('PUT', `/api/admin/groups/${g.id}`, {
        description: 'front desk',
        silence_threshold_sec: 300,
      });
      expect(up.status).toBe(200);
      expect(up.body.data).toMatchObject({
        description: 'front desk',
        heartbeat_interval_sec: 30,
        silence_threshold_sec: 300,
      });
      expect((await api('PUT', '/api/admin/groups/999999', { description: 'x' })).status).toBe(404);
      const all = (await api('GET', '/api/admin/groups')).body.data.groups as Array<Record<string, unknown>>;
      expect(all[0]).toMatchObject({
        id: 1,
        is_default: true,
        heartbeat_interval_sec: 60,
        silence_threshold_sec: 180,
      });
      expect(all.find((x) => x.id === g.id)).toMatchObject({ name: 'Lobby kiosks', device_count: 0 });
    });

    it('deletes a group, moving its devices to the default group; the default group cannot be deleted', async () => {
      const g = await newGroup('doomed', 10, 30);
      for (const k of ['del-1', 'del-2']) await createDevice(srv, { device_key: k });
      const moved = await api('POST', '/api/admin/devices/move', {
        group: g.id,
        device_keys: ['del-1', 'del-2'],
      });
      expect(moved.body.data.moved).toBe(2);
      const groups = (await api('GET', '/api/admin/groups')).body.data.groups as Array<{
        id: number;
        device_count: number;
      }>;
      expect(groups.find((x) => x.id === g.id)!.device_count).toBe(2);
      const del = await api('DELETE', `/api/admin/groups/${g.id}`);
      expect(del.status).toBe(200);
      expect(del.body.data).toEqual({ id: g.id, moved: 2 });
      expect((await list('search=del-')).devices.map((d) => d.group.id)).toEqual([1, 1]);
      expect((await api('DELETE', `/api/admin/groups/${g.id}`)).status).toBe(404);
      const def = await api('DELETE', '/api/admin/groups/1');
      expect(def.status).toBe(409);
      const t = (await api('GET', '/api/admin/devices/del-1/timeline')).body.data.events;
      expect(t.slice(0, 2).map((e: { details: unknown }) => e.details)).toEqual([
        { from: g.id, to: 1 },
        { from: 1, to: g.id },
      ]);
    });

    it('moves by filter, and says which of selection or filter is missing', async () => {
      const g = await newGroup('by-filter', 15, 45);
      for (const k of ['mv-a', 'mv-b', 'other-c']) await createDevice(srv, { device_key: k });
      const r = await api('POST', '/api/admin/devices/move', {
        group: g.id,
        filter: { search: 'mv-', state: 'never' },
      });
      expect(r.body.data.moved).toBe(2);
      expect(keysOf(await list(`group=${g.id}&sort=device_key&order=asc`))).toEqual(['mv-a', 'mv-b']);
      expect((await api('POST', '/api/admin/devices/move', { group: g.id })).status).toBe(400);
      expect(
        (await api('POST', '/api/admin/devices/move', { group: 999999, device_keys: ['mv-a'] })).status,
      ).toBe(404);
    });

    it("answers heartbeats and registrations with the group's interval and judges presence by its threshold", async () => {
      const slow = await newGroup('slow', 600, 1800);
      const fast = await newGroup('fast', 5, 15);
      const d = await createDevice(srv, { device_key: 'nb-1' });
      await api('PUT', '/api/admin/devices/nb-1', { group: slow.id });
      const reg = await srv.api('POST', '/api/devices/nb-1/register', { token_code: d.token_code });
      expect(reg.body.next_heartbeat_sec).toBe(600);
      const secret = reg.body.device_secret as string;
      expect((await beat('nb-1', secret)).body.next_heartbeat_sec).toBe(600);
      expect(
        (await srv.api('GET', '/api/devices/nb-1', undefined, bearer(secret))).body.device
          .heartbeat_interval_sec,
      ).toBe(600);
      await api('PUT', '/api/admin/devices/nb-1', { group: fast.id });
      expect((await beat('nb-1', secret)).body.next_heartbeat_sec).toBe(5);
      // A bulk move reaches the cached device too.
      await api('POST', '/api/admin/devices/move', { group: slow.id, device_keys: ['nb-1'] });
      expect((await beat('nb-1', secret)).body.next_heartbeat_sec).toBe(600);
      // A policy change of its group too.
      await api('PUT', `/api/admin/groups/${slow.id}`, { heartbeat_interval_sec: 300 });
      expect((await beat('nb-1', secret)).body.next_heartbeat_sec).toBe(300);

      // Last seen 100 s ago: offline under a 15 s threshold, online under 1800 s.
      await editDeviceRow(srv, 'nb-1', { last_seen: new Date(Date.now() - 100_000).toISOString() });
      expect((await api('GET', '/api/admin/devices/nb-1')).body.data.state).toBe('online');
      expect(keysOf(await list(`search=nb-1&state=online`))).toEqual(['nb-1']);
      await api('PUT', '/api/admin/devices/nb-1', { group: fast.id });
      expect((await api('GET', '/api/admin/devices/nb-1')).body.data.state).toBe('offline');
      expect(keysOf(await list(`search=nb-1&state=offline`))).toEqual(['nb-1']);
      expect(keysOf(await list(`search=nb-1&state=online`))).toEqual([]);
    });
  });
});
