import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { backoffDelay } from '../../src-shared/backoff.js';

/** The realtime client's defaults: 1 s base, 30 s cap. */
const wsDelay = (attempt: number, o: { random: () => number }) =>
  backoffDelay(attempt, { baseMs: 1_000, capMs: 30_000 }, o.random);
import { RealtimeClient, type RealtimeMessage } from '../../src-main/agent/realtime/ws-client.js';
import { waitFor } from './station-helpers.js';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('full-jitter backoff', () => {
  it('stays within [0, min(cap, base·2^attempt)) and reaches the 30 s cap', () => {
    expect(wsDelay(0, { random: () => 0.999999 })).toBeLessThan(1_000);
    expect(wsDelay(3, { random: () => 0.999999 })).toBeLessThan(8_000);
    expect(wsDelay(3, { random: () => 0.999999 })).toBeGreaterThan(7_900);
    expect(wsDelay(50, { random: () => 0.999999 })).toBeLessThan(30_000);
    expect(wsDelay(50, { random: () => 0.999999 })).toBeGreaterThan(29_900);
    expect(wsDelay(7, { random: () => 0 })).toBe(0);
  });
});

/**
 * A bare ws server standing in for a misbehaving peer: our real server never sends malformed frames, and the
 * point here is that the client survives them.
 */
async function peer(): Promise<{ wss: WebSocketServer; url: string; sockets: WebSocket[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const sockets: WebSocket[] = [];
  wss.on('connection', (ws) => sockets.push(ws));
  cleanup.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  return { wss, url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`, sockets };
}

describe('realtime client', () => {
  it('skips non-JSON, type-less and throwing-handler messages and keeps delivering the next ones', async () => {
    const { url, sockets } = await peer();
    const got: RealtimeMessage[] = [];
    const client = new RealtimeClient({
      url: () => url,
      onMessage: (m) => {
        if (m.event === 'boom') throw new Error('handler bug');
        got.push(m);
      },
    });
    cleanup.push(() => client.stop());
    client.start();
    await waitFor(() => client.connected && sockets.length === 1, 'connected');
    const ws = sockets[0]!;
    ws.send('not json {');
    ws.send(JSON.stringify({ data: { no: 'type' } }));
    ws.send(JSON.stringify(null));
    ws.send(JSON.stringify({ type: 'boom', event: 'boom', data: {} }));
    ws.send(JSON.stringify({ type: 'pong', event: 'pong', data: null }));
    ws.send(
      JSON.stringify({ type: 'quota_updated', event: 'quota_updated', data: { client_id: 1, remaining: 4 } }),
    );
    ws.send(JSON.stringify({ event: 'notification', data: { title: 'seed 003 style' } }));
    await waitFor(() => got.length === 2, 'two good messages');
    expect(got).toEqual([
      { event: 'quota_updated', data: { client_id: 1, remaining: 4 } },
      { event: 'notification', data: { title: 'seed 003 style' } },
    ]);
    expect(client.connected).toBe(true);
  });

  it('sends {type:"ping"} on its interval and drops a link whose peer stops answering, then reconnects', async () => {
    const { url, sockets } = await peer();
    const pings: string[] = [];
    let answer = true;
    const client = new RealtimeClient({
      url: () => url,
      onMessage: () => undefined,
      pingIntervalMs: 50,
      backoff: { baseMs: 20, capMs: 100 },
    });
    cleanup.push(() => client.stop());
    client.start();
    await waitFor(() => sockets.length === 1, 'first connection');
    sockets[0]!.on('message', (raw) => {
      pings.push(raw.toString());
      if (answer) sockets[0]!.send(JSON.stringify({ type: 'pong', event: 'pong', data: null }));
    });
    await waitFor(() => pings.length >= 2, 'pings');
    expect(JSON.parse(pings[0]!)).toEqual({ type: 'ping' });
    answer = false; // the peer goes silent (a dead NAT mapping, a hung server)
    await waitFor(() => sockets.length === 2 && client.connected, 'reconnected after missing pongs');
  });

  it('reconnects forever: the peer refusing connections many times in a row does not end the loop', async () => {
    const { wss, url, sockets } = await peer();
    let refusals = 0;
    wss.on('connection', (ws) => {
      if (refusals < 8) {
        refusals++;
        ws.close(1011, 'try again');
      }
    });
    const client = new RealtimeClient({
      url: () => url,
      onMessage: () => undefined,
      backoff: { baseMs: 5, capMs: 40 },
    });
    cleanup.push(() => client.stop());
    client.start();
    await waitFor(() => client.connected && sockets.length === 9, 'connected after 8 refusals');
    expect(client.openedAt.length).toBeGreaterThanOrEqual(9);
  });
});
