import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { serverCopies, stationTruth } from './reliability-helpers.js';
import {
  STATION_USER,
  clientOnServer,
  createClient,
  createStationUser,
  makeStation,
  waitFor,
} from './station-helpers.js';

const JWT = 'reliability-restart-jwt-secret-0123456789';
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('reliability 2: the server stops in the middle of a push', () => {
  it('5 stop/start cycles mid-push (in-flight responses cut): no duplicate, nothing lost', async () => {
    let srv: TestServer = await startTestServer({ env: { OUTPOST_JWT_SECRET: JWT } });
    const dataDir = srv.dataDir;
    cleanup.push(async () => {
      await srv.dispose({ keepData: true });
      await startTestServer({ dataDir, env: { OUTPOST_JWT_SECRET: JWT } }).then((s) => s.dispose());
    });
    const proxy = await FaultProxy.start(srv.url);
    cleanup.push(() => proxy.close());
    const clientId = await createClient(srv, 'RestartCo', 100_000);
    await createStationUser(srv);
    const st = makeStation(proxy.url, { batchSize: 50 });
    cleanup.push(() => st.dispose());
    await st.svc.login(STATION_USER.username, STATION_USER.password);
    await st.svc.syncNow();

    const TOTAL = 3_000;
    for (let i = 0; i < TOTAL; i++)
      st.svc.recordCopy(clientId, (0x04000000 + i).toString(16).padStart(8, '0'));

    let interrupted = 0;
    for (let cycle = 0; cycle < 5; cycle++) {
      const seen = st.events.length;
      const sync = st.svc.syncNow().then(
        () => 'finished' as const,
        (err: { code?: string }) => err.code ?? 'error',
      );
      // Wait until this sync has pushed a few batches, then pull the plug while a request is in flight.
      await waitFor(
        () =>
          st.events
            .slice(seen)
            .filter(
              (e) => e.type === 'station.sync-progress' && (e.data as { phase: string }).phase === 'push',
            ).length >= 3,
        'pushes in flight',
      );
      proxy.cutAll();
      const stopping = srv.dispose({ keepData: true });
      const outcome = await sync;
      await stopping;
      if (outcome === 'NETWORK_ERROR') interrupted++;
      // Offline meanwhile: the station keeps recording.
      st.svc.recordCopy(clientId, '04AABBCC');
      srv = await startTestServer({ dataDir, env: { OUTPOST_JWT_SECRET: JWT } });
      proxy.setTarget(srv.url);
    }
    expect(interrupted).toBeGreaterThan(0);
    while (st.svc.queue().counts.pending > 0) await st.svc.syncNow();

    const truth = stationTruth(st.dataDir);
    expect(truth).toMatchObject({ pending: 0, failed: 0 });
    expect(truth.copies.length).toBe(TOTAL + 5);
    const server = serverCopies(dataDir, truth.deviceId);
    expect(server.distinct).toBe(server.uuids.length);
    expect([...server.uuids].sort()).toEqual([...truth.copies].sort());
    expect(await clientOnServer(srv, clientId)).toMatchObject({
      used: TOTAL + 5,
      remaining: 100_000 - TOTAL - 5,
    });
  }, 90_000);
});
