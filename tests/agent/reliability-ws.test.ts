import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { RealtimeClient } from '../../src-main/agent/realtime/ws-client.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { STATION_USER, createStationUser, waitFor } from './station-helpers.js';

const JWT = 'reliability-ws-jwt-secret-0123456789abcdef';
const SOCKETS = 500;
const ENV = { OUTPOST_JWT_SECRET: JWT, OUTPOST_WS_MAX_PER_IP: '5000', OUTPOST_WS_MESSAGES_PER_MIN: '1000' };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/**
 * 500 station tokens, each for its own device. Signed here with the server's test secret in the server's format
 * (HS256, sub/username/role/device_id): 500 logins would spend ~30 s in scrypt and say nothing about sockets.
 */
async function tokens(userId: number): Promise<string[]> {
  const key = new TextEncoder().encode(JWT);
  const now = Math.floor(Date.now() / 1000);
  return Promise.all(
    Array.from({ length: SOCKETS }, (_, i) =>
      new SignJWT({ username: STATION_USER.username, role: 'station', device_id: `load-${i}` })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(String(userId))
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(key),
    ),
  );
}

describe('reliability 5: server restart with 500 connected stations', () => {
  it('all 500 sockets reconnect, spread by full jitter (not all within one second)', async () => {
    let srv: TestServer = await startTestServer({ env: ENV });
    const dataDir = srv.dataDir;
    cleanup.push(() => srv.dispose());
    const userId = await createStationUser(srv);
    // A stable address in front of the server, which comes back on a new port.
    const proxy = await FaultProxy.start(srv.url);
    cleanup.push(() => proxy.close());
    const toks = await tokens(userId);
    const clients = toks.map(
      (t, i) =>
        new RealtimeClient({
          url: () => `ws://127.0.0.1:${proxy.port}/ws?token=${t}&device_id=load-${i}`,
          onMessage: () => undefined,
        }),
    );
    cleanup.push(async () => clients.forEach((c) => c.stop()));
    clients.forEach((c) => c.start());
    await waitFor(() => clients.every((c) => c.connected), 'all 500 connected', 60_000);

    const stoppedAt = Date.now();
    await srv.dispose({ keepData: true });
    await waitFor(() => clients.every((c) => !c.connected), 'all 500 disconnected');
    // Stay down until every client has failed twice: then the next tries are drawn from [0, 4 s), as after any
    // real outage longer than a moment (a restart in < 1 s would legitimately land them all within 1 s).
    await waitFor(() => clients.every((c) => c.failures >= 2), 'every client retried twice', 60_000);
    srv = await startTestServer({ dataDir, env: ENV });
    proxy.setTarget(srv.url);
    await waitFor(
      () => clients.every((c) => c.connected && c.openedAt.length >= 2),
      'all 500 reconnected',
      60_000,
    );

    const reconnects = clients.map((c) => c.openedAt[1]! - stoppedAt).sort((a, b) => a - b);
    const spread = reconnects.at(-1)! - reconnects[0]!;
    const pct = (p: number): number =>
      reconnects[Math.min(reconnects.length - 1, Math.floor(p * reconnects.length))]!;
    console.log(
      `ws restart: ${SOCKETS} reconnected; after stop: first ${reconnects[0]} ms, p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, last ${reconnects.at(-1)} ms; spread ${spread} ms`,
    );
    expect(spread).toBeGreaterThan(1_000);
    // Not all in one second: no 1-second window holds every reconnect.
    let maxInWindow = 0;
    for (let i = 0, j = 0; i < reconnects.length; i++) {
      while (reconnects[i]! - reconnects[j]! >= 1_000) j++;
      maxInWindow = Math.max(maxInWindow, i - j + 1);
    }
    expect(maxInWindow).toBeLessThan(SOCKETS);
  }, 120_000);
});
