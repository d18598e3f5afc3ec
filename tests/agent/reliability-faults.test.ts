import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { startTestServer } from '../helpers/server.js';
import { serverCopies, stationTruth } from './reliability-helpers.js';
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

describe('reliability 3: a faulty network between station and server', () => {
  it('≥1,000 batches through random resets (before and after the server saw the request), black holes and delays: no duplicate, nothing lost', async () => {
    const srv = await startTestServer();
    cleanup.push(() => srv.dispose());
    const clientId = await createClient(srv, 'FaultCo', 100_000);
    await createStationUser(srv);
    const proxy = await FaultProxy.start(srv.url);
    cleanup.push(() => proxy.close());
    // Short timeout: a black-holed request must fail fast; batches of 2 ops make 1,000+ round trips.
    const st = makeStation(proxy.url, { batchSize: 2, timeoutMs: 400 });
    cleanup.push(() => st.dispose());
    await st.svc.login(STATION_USER.username, STATION_USER.password);
    await st.svc.syncNow();

    const TOTAL = 2_200;
    for (let i = 0; i < TOTAL; i++)
      st.svc.recordCopy(clientId, (0x04000000 + i).toString(16).padStart(8, '0'));
    proxy.faults = { resetOnRequest: 0.02, resetOnResponse: 0.03, blackhole: 0.003, maxDelayMs: 3 };

    let batches = 0;
    let failedSyncs = 0;
    for (let round = 0; st.svc.queue().counts.pending > 0; round++) {
      if (round > 2_000) throw new Error('sync made no progress');
      try {
        batches += (await st.svc.syncNow()).batches;
      } catch (err) {
        failedSyncs++;
        batches += (err as { details?: { batches?: number } }).details?.batches ?? 0;
      }
    }
    proxy.faults = {};
    await st.svc.syncNow(); // a clean pull for the quota check
    console.log(
      `fault proxy: ${batches} applied batches, ${failedSyncs} interrupted syncs, faults ${JSON.stringify(proxy.stats)}`,
    );
    expect(batches).toBeGreaterThanOrEqual(1_000);
    expect(proxy.stats.resetsOnResponse).toBeGreaterThan(0);
    expect(proxy.stats.resetsOnRequest).toBeGreaterThan(0);

    const truth = stationTruth(st.dataDir);
    expect(truth).toMatchObject({ pending: 0, failed: 0, synced: TOTAL });
    const server = serverCopies(srv.dataDir, truth.deviceId);
    expect(server.distinct).toBe(server.uuids.length);
    expect([...server.uuids].sort()).toEqual([...truth.copies].sort());
    expect(await clientOnServer(srv, clientId)).toMatchObject({ used: TOTAL, remaining: 100_000 - TOTAL });
    expect(st.svc.quotas()[0]).toMatchObject({ remaining: 100_000 - TOTAL });
  }, 120_000);
});
