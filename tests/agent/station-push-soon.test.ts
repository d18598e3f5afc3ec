/**
 * Copies recorded while online reach the server after the short push delay (one batch for a burst), not on the
 * 60 s sync timer. The delay's timer is injected: the test fires it, nothing here waits on the clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PushTimers } from '../../src-main/agent/station/station-service.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  createClient,
  createStationUser,
  makeStation,
  STATION_USER,
  waitFor,
  type TestStation,
} from './station-helpers.js';

function heldTimers() {
  const armed: number[] = [];
  let fn: (() => void) | null = null;
  const timers: PushTimers = {
    setTimeout: (f, ms) => {
      fn = f;
      armed.push(ms);
      return armed.length;
    },
    clearTimeout: () => {
      fn = null;
    },
  };
  return {
    timers,
    armed,
    fire: () => {
      const f = fn;
      fn = null;
      f?.();
    },
  };
}

let srv: TestServer | undefined;
const stations: TestStation[] = [];
afterEach(async () => {
  for (const s of stations.splice(0)) await s.dispose();
  await srv?.dispose();
  srv = undefined;
});

async function onlineStation(held: ReturnType<typeof heldTimers>, realtime = true) {
  srv = await startTestServer();
  const client = await createClient(srv, 'Acme', 10);
  await createStationUser(srv);
  const st = makeStation(srv.url, {
    realtime,
    timers: held.timers,
    // The periodic timers must not be what delivers the copies in this test.
    syncIntervalMs: 3_600_000,
    healthIntervalMs: 3_600_000,
  });
  stations.push(st);
  await st.svc.start();
  await st.svc.login(STATION_USER.username, STATION_USER.password);
  await waitFor(() => st.svc.status().online && st.svc.quotas().length > 0, 'online with quotas');
  if (realtime) await waitFor(() => st.svc.diagnostics().realtime_connected, 'socket connected');
  return { st, client };
}

const completedUids = (st: TestStation): string[] =>
  st.events.flatMap((e) =>
    e.type === 'realtime' && e.data.event === 'copy_completed'
      ? ((e.data.data as { copies: { uid: string }[] }).copies ?? []).map((c) => c.uid)
      : [],
  );

describe('copies recorded while online', () => {
  it('are pushed as one batch when the short delay fires, and the station sees copy_completed for each', async () => {
    const held = heldTimers();
    const { st, client } = await onlineStation(held);
    for (const uid of ['04C1C1C1', '04C2C2C2', '04C3C3C3']) st.svc.recordCopy(client, uid);

    // One timer for the burst, well inside a second; nothing sent before it fires.
    expect(held.armed).toHaveLength(1);
    expect(held.armed[0]).toBeLessThanOrEqual(1000);
    expect(st.svc.queue().counts.pending).toBe(3);

    held.fire();
    await waitFor(() => completedUids(st).length >= 3, 'copy_completed for every copy');
    expect(completedUids(st).sort()).toEqual(['04C1C1C1', '04C2C2C2', '04C3C3C3']);
    expect(st.svc.queue().counts.pending).toBe(0);

    // The next card arms a new timer.
    st.svc.recordCopy(client, '04C4C4C4');
    expect(held.armed).toHaveLength(2);
  });

  it('are only queued (no timer) while the station is logged out or offline', async () => {
    const held = heldTimers();
    const { st, client } = await onlineStation(held, false);
    await st.svc.logout();
    st.svc.recordCopy(client, '04D1D1D1');
    expect(held.armed).toHaveLength(0);

    await st.svc.login(STATION_USER.username, STATION_USER.password);
    await waitFor(() => st.svc.queue().counts.pending === 0, 'the login sync');
    await srv!.stop();
    await st.svc.syncNow().catch(() => undefined); // finds the server gone: offline
    expect(st.svc.status().online).toBe(false);
    st.svc.recordCopy(client, '04D2D2D2');
    expect(held.armed).toHaveLength(0);
    expect(st.svc.queue().counts.pending).toBe(1);
  });
});
