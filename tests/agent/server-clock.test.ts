/** The server-time estimate: measured from answers, persisted for the next process, robust to a bad file. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerClock, clockFilePath } from '../../src-main/agent/time/server-clock.js';

const DAY = 86_400_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'outpost-clock-'));
  dirs.push(d);
  return d;
};

describe('server clock', () => {
  it('before any answer it is the local clock; a Date header 3 days ahead moves it, and the next process keeps it', () => {
    const dir = tempDir();
    const local = 1_800_000_000_000;
    const clock = new ServerClock({ file: clockFilePath(dir), localNow: () => local });
    expect(clock.measured).toBe(false);
    expect(clock.now()).toBe(local);
    clock.observeDateHeader(new Date(local + 3 * DAY).toUTCString());
    expect(clock.now() - local).toBeGreaterThan(3 * DAY - 1000);
    expect(clock.now() - local).toBeLessThan(3 * DAY + 1000);
    const next = new ServerClock({ file: clockFilePath(dir), localNow: () => local });
    expect(next.measured).toBe(true);
    expect(next.now()).toBe(clock.now());
  });

  it('an offset within the header’s resolution counts as none, and small changes do not rewrite the file', () => {
    const dir = tempDir();
    const clock = new ServerClock({ file: clockFilePath(dir), localNow: () => 1_800_000_000_000 });
    clock.observe(1_800_000_000_000 + 1_400);
    expect(clock.offsetMs).toBe(0);
    const written = readFileSync(clockFilePath(dir), 'utf8');
    clock.observe(1_800_000_000_000 - 900);
    expect(readFileSync(clockFilePath(dir), 'utf8')).toBe(written);
  });

  it.each([
    ['not JSON', '{oops'],
    ['a string offset', JSON.stringify({ offset_ms: '-5' })],
    ['a non-finite offset', '{"offset_ms": 1e999}'],
  ])('clock.json with %s is ignored (measured again), not fatal', (_name, content) => {
    const dir = tempDir();
    writeFileSync(clockFilePath(dir), content);
    const clock = new ServerClock({ file: clockFilePath(dir), localNow: () => 42 });
    expect(clock.measured).toBe(false);
    expect(clock.now()).toBe(42);
  });

  it('garbage in a Date header or server_time changes nothing', () => {
    const clock = new ServerClock({ localNow: () => 1000 });
    clock.observeDateHeader('yesterday-ish');
    clock.observeDateHeader(['Mon, 01 Jan 2024 00:00:00 GMT']);
    clock.observeIso('not a time');
    expect(clock.measured).toBe(false);
  });

  it('a file that cannot be written (a directory in its place) does not fail the measurement', () => {
    const dir = tempDir();
    mkdirSync(clockFilePath(dir));
    const clock = new ServerClock({ file: clockFilePath(dir), localNow: () => 0 });
    expect(() => clock.observe(10 * DAY)).not.toThrow();
    expect(clock.now()).toBe(10 * DAY);
  });
});
