/** Heartbeat cadence and backoff on the loop itself, with vitest's fake clock (the server is not involved). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BeatOutcome } from '../../src-main/agent/device/api.js';
import { backoffDelay } from '../../src-shared/backoff.js';
import { HeartbeatLoop, type HeartbeatTimings } from '../../src-main/agent/device/heartbeat.js';

const timings: HeartbeatTimings = {
  intervalMs: 60_000,
  backoff: { baseMs: 5_000, capMs: 300_000, floorMs: 1_000 },
  inactiveAfter: 5,
};
const OK: BeatOutcome = { ok: true, message: 'ok', latency_ms: 3 };
const DOWN: BeatOutcome = {
  ok: false,
  fatal: false,
  kind: 'network',
  message: 'Connection failed',
  latency_ms: null,
};
const REVOKED: BeatOutcome = {
  ok: false,
  fatal: true,
  kind: 'refused',
  message: 'Re-registration needed',
  latency_ms: 2,
};

function scripted(outcomes: () => BeatOutcome) {
  const times: number[] = [];
  const loop = new HeartbeatLoop(
    async () => {
      times.push(Date.now());
      return outcomes();
    },
    () => timings,
    () => undefined,
  );
  return { loop, times };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('heartbeat cadence', () => {
  it('beats at start, then every 60 s', async () => {
    const { loop, times } = scripted(() => OK);
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(times).toEqual([0]);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(times).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(times).toEqual([0, 60_000, 120_000, 180_000]);
    expect(loop.state.heartbeat).toBe('active');
    await loop.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(times).toHaveLength(4);
    expect(loop.state.heartbeat).toBe('stopped');
  });

  it('failures back off exponentially (jitter at its maximum), inactive at 5, capped at 5 min, active again on success', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1);
    let up = false;
    const { loop, times } = scripted(() => (up ? OK : DOWN));
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 9; i++) await vi.advanceTimersByTimeAsync(300_000 + 1);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.slice(0, 8)).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    expect(loop.state.heartbeat).toBe('inactive');
    expect(loop.state.consecutive_failures).toBeGreaterThanOrEqual(9);
    up = true;
    await vi.advanceTimersByTimeAsync(300_001);
    expect(loop.state).toMatchObject({ heartbeat: 'active', consecutive_failures: 0, last_latency_ms: 3 });
    const n = times.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times).toHaveLength(n + 1); // back on the normal 60 s cadence
    await loop.stop();
  });

  it('still active after 4 failures, inactive exactly at the 5th', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const states: string[] = [];
    const loop = new HeartbeatLoop(
      async () => DOWN,
      () => timings,
      (s) => states.push(`${s.consecutive_failures}:${s.heartbeat}`),
    );
    loop.start();
    for (let i = 0; i < 6; i++) await vi.advanceTimersByTimeAsync(1_000);
    expect(states.slice(0, 5)).toEqual(['1:active', '2:active', '3:active', '4:active', '5:inactive']);
    await loop.stop();
  });

  it('a fatal answer (revoked) stops the loop: no more beats', async () => {
    const { loop, times } = scripted(() => REVOKED);
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(times).toEqual([0]);
    expect(loop.state).toMatchObject({ heartbeat: 'reregistration_needed', next_attempt_at: null });
    expect(loop.isRunning).toBe(false);
  });

  it('a beat that throws counts as a failure and the loop keeps going', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    let n = 0;
    const loop = new HeartbeatLoop(
      async () => {
        if (n++ === 0) throw new Error('collector exploded');
        return OK;
      },
      () => timings,
      () => undefined,
    );
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(loop.state.last_error).toBe('collector exploded');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(loop.state.heartbeat).toBe('active');
    await loop.stop();
  });

  it('runNow sends at once and restarts the cadence from that beat', async () => {
    const { loop, times } = scripted(() => OK);
    loop.start();
    await vi.advanceTimersByTimeAsync(30_000);
    const r = await loop.runNow();
    expect(r.ok).toBe(true);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(times).toEqual([0, 30_000]);
    await vi.advanceTimersByTimeAsync(1);
    expect(times).toEqual([0, 30_000, 90_000]);
    await loop.stop();
  });
});

describe('backoffDelay (full jitter)', () => {
  it.each([
    [1, 0.5, 2_500],
    [3, 0.5, 10_000],
    [20, 1, 300_000],
    [1, 0, 1_000],
  ])('failure %i with random %f → %i ms', (failures, r, expected) => {
    expect(backoffDelay(failures - 1, timings.backoff, () => r)).toBe(expected);
  });
});
