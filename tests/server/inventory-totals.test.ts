import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceListResponse } from '../../src-shared/api/inventory.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { admin, createDevice, editDeviceRow, register } from './devices-helpers.js';

/**
 * The totals of state filters without a search term, which the stores count from other sources than the page
 * (the status index; registered minus online for offline), must agree with the devices the pages list.
 */
describe('device inventory totals per state', () => {
  let srv: TestServer;
  let group = 0;
  const api = (method: string, path: string, body?: unknown) => srv.api(method, path, body, admin(srv));
  const list = async (query: string) => {
    const r = await api('GET', `/api/admin/devices?${query}`);
    expect(r.status, r.text).toBe(200);
    return r.body.data as DeviceListResponse['data'];
  };
  /** Every device of a filter, walking its pages two at a time, with the total each page announced. */
  const all = async (query: string) => {
    const keys: string[] = [];
    const totals = new Set<number>();
    for (let page = 1; page <= 20; page++) {
      const d = await list(`${query}&limit=2&page=${page}`);
      totals.add(d.pagination.total);
      if (d.devices.length === 0) break;
      for (const x of d.devices) keys.push(x.device_key);
    }
    return { keys: keys.sort(), totals: [...totals] };
  };

  beforeAll(async () => {
    srv = await startTestServer({ env: { OUTPOST_HEARTBEAT_INTERVAL_SEC: '60' } });
    const g = await api('POST', '/api/admin/groups', {
      name: 'totals',
      heartbeat_interval_sec: 30,
      silence_threshold_sec: 90,
    });
    group = (g.body.data as { id: number }).id;
    // Per group (default and `totals`): 2 online, 2 offline (seen an hour ago), 1 never registered, 1 revoked.
    for (const [gi, g2] of [1, group].entries()) {
      for (let i = 0; i < 6; i++) {
        const key = `t${gi}-${i}`;
        const d = await createDevice(srv, { device_key: key });
        if (g2 !== 1) expect((await api('PUT', `/api/admin/devices/${key}`, { group: g2 })).status).toBe(200);
        if (i === 4) continue;
        await register(srv, key, d.token_code);
        if (i === 2 || i === 3)
          await editDeviceRow(srv, key, { last_seen: new Date(Date.now() - 3600_000).toISOString() });
        if (i === 5) expect((await api('DELETE', `/api/admin/devices/${key}`)).status).toBe(200);
      }
    }
  });
  afterAll(async () => {
    await srv.dispose();
  });

  const want = {
    online: ['0', '1'],
    offline: ['2', '3'],
    never: ['4'],
    revoked: ['5'],
  } as const;

  for (const [state, idx] of Object.entries(want)) {
    it(`state=${state}: the total equals the devices listed, alone and within a group`, async () => {
      const fleet = await all(`state=${state}`);
      expect(fleet.keys).toEqual([...idx.map((i) => `t0-${i}`), ...idx.map((i) => `t1-${i}`)]);
      expect(fleet.totals).toEqual([fleet.keys.length]);
      const inGroup = await all(`state=${state}&group=${group}`);
      expect(inGroup.keys).toEqual(idx.map((i) => `t1-${i}`));
      expect(inGroup.totals).toEqual([idx.length]);
    });
  }

  it('sorted by last seen, a filtered page past the end is empty and still carries the total', async () => {
    const d = await list('state=offline&sort=last_seen&limit=2&page=9');
    expect(d.devices).toEqual([]);
    expect(d.pagination.total).toBe(4);
    const unfiltered = await list('sort=last_seen&order=asc&limit=50');
    expect(unfiltered.pagination.total).toBe(12);
    expect(unfiltered.devices.map((x) => x.device_key).sort()).toHaveLength(12);
  });
});
