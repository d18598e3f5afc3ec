import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.js';
import {
  STATION_USER,
  clientOnServer,
  createClient,
  createStationUser,
  makeStation,
} from './station-helpers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('reliability 4: two stations offline share one quota', () => {
  it('quota 10, 8 copies on each offline station: server counts exactly 10, 6 ops fail QUOTA_EXCEEDED, both show 0', async () => {
    const srv = await startTestServer();
    cleanup.push(() => srv.dispose());
    const clientId = await createClient(srv, 'SharedCo', 10);
    await createStationUser(srv);
    const stations = [makeStation(srv.url), makeStation(srv.url)];
    for (const st of stations) {
      cleanup.push(() => st.dispose());
      await st.svc.login(STATION_USER.username, STATION_USER.password);
      await st.svc.syncNow(); // local quota seeded from a pull before going offline
      expect(st.svc.quotas()[0]).toMatchObject({ client_id: clientId, remaining: 10 });
      st.url.current = 'http://127.0.0.1:9'; // offline: nothing listens there
    }
    for (const [n, st] of stations.entries()) {
      for (let i = 0; i < 8; i++) st.svc.recordCopy(clientId, `04AB${n}${i}CD`);
      await expect(st.svc.syncNow()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
      expect(st.svc.quotas()[0]).toMatchObject({ remaining: 2 });
    }
    // Back online: both sync (in turn, then once more so the first sees the second's effect).
    for (const st of stations) st.url.current = srv.url;
    for (const st of stations) await st.svc.syncNow();
    for (const st of stations) await st.svc.syncNow();

    expect(await clientOnServer(srv, clientId)).toMatchObject({ used: 10, remaining: 0 });
    const queues = stations.map((st) => st.svc.queue());
    expect(queues.reduce((n, q) => n + q.counts.synced, 0)).toBe(10);
    const failed = queues.flatMap((q) => q.failed);
    expect(failed).toHaveLength(6);
    expect(failed.every((f) => f.error === 'QUOTA_EXCEEDED')).toBe(true);
    for (const st of stations) {
      expect(st.svc.quotas()[0]).toMatchObject({ remaining: 0 });
      expect(st.svc.queue().counts.pending).toBe(0);
    }
  });
});
