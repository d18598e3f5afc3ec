/**
 * The heartbeat interval the server asks for (`next_heartbeat_sec`): bounded to 5 s – 1 h, garbage ignored,
 * adopted from the next tick without a restart. The loop's cadence runs on vitest's fake clock; the agent is
 * checked against the real server and, for answers a real server never gives (garbage, a changing interval),
 * against a scripted HTTP server on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Agent } from '../../src-main/agent/agent.js';
import type { BeatOutcome } from '../../src-main/agent/device/api.js';
import { HeartbeatLoop, type HeartbeatTimings } from '../../src-main/agent/device/heartbeat.js';
import { boundedServerInterval } from '../../src-main/agent/device/server-interval.js';
import { closeLogging } from '../../src-main/agent/logging/logger.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminCreateDevice, clearKeyring, makeAgent, TempDirs, uniqueService } from './device-helpers.js';

describe('boundedServerInterval', () => {
  it('clamps to 5 s – 1 h, rounds, and ignores what is not a positive number', () => {
    expect(boundedServerInterval(60)).toBe(60);
    expect(boundedServerInterval(1)).toBe(5);
    expect(boundedServerInterval(86_400)).toBe(3600);
    expect(boundedServerInterval(12.4)).toBe(12);
    for (const garbage of [0, -30, Number.NaN, Infinity, '60', null, undefined, {}, [60], true]) {
      expect(boundedServerInterval(garbage)).toBeNull();
    }
  });
});

describe('the loop adopts the server interval (fake clock)', () => {
  const timings: HeartbeatTimings = {
    intervalMs: 60_000,
    backoff: { baseMs: 5_000, capMs: 300_000, floorMs: 1_000 },
    inactiveAfter: 5,
  };
  afterEach(() => {
    vi.useRealTimers();
  });

  function scripted(answers: Array<number | undefined>, t: HeartbeatTimings = timings) {
    const times: number[] = [];
    let i = 0;
    const loop = new HeartbeatLoop(
      async (): Promise<BeatOutcome> => {
        times.push(Date.now());
        const sec = answers[Math.min(i++, answers.length - 1)];
        return {
          ok: true,
          message: 'ok',
          latency_ms: 1,
          ...(sec === undefined ? {} : { server_interval_sec: sec }),
        };
      },
      () => t,
      () => undefined,
    );
    return { loop, times };
  }

  it('takes effect for the next tick after the answer that carried it, and changes without a restart', async () => {
    vi.useFakeTimers({ now: 0 });
    // Answers: 10 s, 10 s, then 30 s, then none (an older server): the last interval given stays.
    const { loop, times } = scripted([10, 10, 30, undefined]);
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(times).toEqual([0, 10_000, 20_000]);
    expect(loop.intervalMs()).toBe(30_000);
    await vi.advanceTimersByTimeAsync(30_000);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(times).toEqual([0, 10_000, 20_000, 50_000, 80_000]);
    expect(loop.state.next_attempt_at).toBe(new Date(110_000).toISOString());
    await loop.stop();
  });

  it('a configured fixed interval (followServer: false) is not replaced', async () => {
    vi.useFakeTimers({ now: 0 });
    const { loop, times } = scripted([10], { ...timings, intervalMs: 2_000, followServer: false });
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(times).toEqual([0, 2_000, 4_000]);
    await loop.stop();
  });

  it('a new registration forgets the previous server interval', () => {
    const { loop } = scripted([]);
    loop.adoptServerInterval(15);
    expect(loop.intervalMs()).toBe(15_000);
    loop.reset();
    expect(loop.intervalMs()).toBe(60_000);
  });
});

describe('the agent adopts next_heartbeat_sec', () => {
  const service = uniqueService('hb-interval');
  const dirs = new TempDirs();
  const agents: Agent[] = [];
  // No fixed intervalMs: the agent follows the server (FAST_TIMINGS would pin 150 ms).
  const timings = { backoffBaseMs: 20, backoffCapMs: 80 };
  const agentAt = async (url: string) => {
    const a = await makeAgent(dirs.make(), service, url, { timings });
    agents.push(a);
    return a;
  };
  afterEach(async () => {
    for (const a of agents.splice(0)) await a.stop();
    await clearKeyring(service);
  });
  afterAll(() => {
    closeLogging();
    dirs.cleanup();
  });

  it("uses the real server's interval from registration on, clamped to at least 5 s", async () => {
    for (const [configured, adopted] of [
      ['7', 7],
      ['2', 5],
    ] as const) {
      const srv: TestServer = await startTestServer({ env: { OUTPOST_HEARTBEAT_INTERVAL_SEC: configured } });
      try {
        const { device_key, token_code } = await adminCreateDevice(srv);
        const agent = await agentAt(srv.url);
        await agent.start();
        const status = await agent.device.register(token_code, device_key);
        expect(agent.device.heartbeatIntervalSec).toBe(adopted);
        // The beat right after registration scheduled the next one the adopted interval later (not 60 s).
        const gap = Date.parse(status.next_attempt_at!) - Date.parse(status.last_success_at!);
        expect(gap).toBeGreaterThanOrEqual(adopted * 1000 - 50);
        expect(gap).toBeLessThan(60_000);
        await agent.stop();
      } finally {
        await srv.dispose();
      }
    }
  });

  describe('against a scripted server', () => {
    let stub: Server;
    let url = '';
    /** What the next heartbeat answer carries as next_heartbeat_sec. */
    let next: unknown = 20;
    beforeAll(async () => {
      stub = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          const path = req.url ?? '';
          const json = (status: number, body: object) => {
            res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
          };
          if (path.endsWith('/register')) {
            return json(200, {
              ok: true,
              message: 'registered',
              device_key: 'stub-dev',
              device_secret: 'stub-secret-0123456789abcdef0123456789',
              next_heartbeat_sec: 20,
            });
          }
          if (path.endsWith('/online')) {
            return json(200, {
              ok: true,
              message: 'ok',
              server_time: new Date().toISOString(),
              next_heartbeat_sec: next,
            });
          }
          return json(404, { ok: false, code: 'ROUTE_NOT_FOUND', message: 'not here' });
        });
      });
      await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((r) => stub.close(() => r()));
    });

    it('follows a changing interval without a restart, clamps it, and ignores garbage', async () => {
      const agent = await agentAt(url);
      await agent.start();
      await agent.device.register('ABCDEF', 'stub-dev');
      expect(agent.device.heartbeatIntervalSec).toBe(20);
      const beat = async (value: unknown) => {
        next = value;
        expect((await agent.device.heartbeatNow()).ok).toBe(true);
        return agent.device.heartbeatIntervalSec;
      };
      expect(await beat(45)).toBe(45);
      expect(await beat(2)).toBe(5);
      expect(await beat(99_999)).toBe(3600);
      expect(await beat('soon')).toBe(3600);
      expect(await beat(null)).toBe(3600);
      expect(await beat(-1)).toBe(3600);
      expect(await beat(30)).toBe(30);
      const s = agent.device.status();
      expect(Date.parse(s.next_attempt_at!) - Date.parse(s.last_success_at!)).toBeGreaterThanOrEqual(29_950);
    });
  });
});
