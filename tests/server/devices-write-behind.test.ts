import { afterEach, describe, expect, it, vi } from 'vitest';
import { WriteBehind, type Entry } from '../../src-main/server/devices/write-behind.js';
import type { HeartbeatWrite } from '../../src-main/server/store/devices-repo.js';

/** The flush scheduling of the write-behind buffer, with a recording writer instead of SQLite. */
describe('WriteBehind', () => {
  const open: WriteBehind[] = [];
  afterEach(() => {
    for (const w of open.splice(0)) w.close();
  });
  const hb = (last_seen: string, info: HeartbeatWrite['info'] = {}): HeartbeatWrite => ({ last_seen, info });
  const make = (writeSlice: (e: Entry[]) => void, sliceSize = 2) => {
    const w = new WriteBehind({ writeSlice, flushMs: 10, sliceSize });
    open.push(w);
    return w;
  };

  it('writes a batch in slices of sliceSize, one writer call per slice', async () => {
    const slices: string[][] = [];
    const w = make((e) => slices.push(e.map(([k]) => k)));
    for (const k of ['a', 'b', 'c', 'd', 'e']) w.record(k, hb('t1'));
    await vi.waitFor(() => expect(w.size).toBe(0));
    expect(slices).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('peek merges a heartbeat being written with a newer pending one', async () => {
    let seen: HeartbeatWrite | undefined;
    const w: WriteBehind = make((e) => {
      if (e[0]![0] === 'a' && !seen) {
        w.record('c', hb('t2', { ip_lan: 'new' }));
        seen = w.peek('c');
      }
    });
    w.record('a', hb('t1'));
    w.record('b', hb('t1'));
    w.record('c', hb('t1', { mac: 'M', ip_lan: 'old' }));
    await vi.waitFor(() => expect(seen).toBeDefined());
    expect(seen).toEqual({ last_seen: 't2', info: { mac: 'M', ip_lan: 'new' } });
  });

  it('a discarded device is not written even when its batch is already in flight', async () => {
    const written: string[] = [];
    const w: WriteBehind = make((e) => {
      if (written.length === 0) w.discard('d');
      written.push(...e.map(([k]) => k));
    });
    for (const k of ['a', 'b', 'c', 'd']) w.record(k, hb('t1'));
    await vi.waitFor(() => expect(w.size).toBe(0));
    expect(written).toEqual(['a', 'b', 'c']);
  });

  it('a failed write keeps the entries (newer heartbeats win) and retries on the next tick', async () => {
    const written = new Map<string, string>();
    let fail = true;
    const w: WriteBehind = make((e) => {
      if (fail) {
        fail = false;
        w.record('a', hb('t2'));
        throw new Error('SQLITE_BUSY');
      }
      for (const [k, v] of e) written.set(k, v.last_seen);
    });
    w.record('a', hb('t1'));
    w.record('b', hb('t1'));
    await vi.waitFor(() => expect(written.size).toBe(2));
    expect(Object.fromEntries(written)).toEqual({ a: 't2', b: 't1' });
    expect(String(w.lastError)).toContain('SQLITE_BUSY');
  });

  it('close() writes everything synchronously and later records are ignored', () => {
    const written: string[] = [];
    const w = new WriteBehind({ writeSlice: (e) => written.push(...e.map(([k]) => k)), flushMs: 60_000 });
    w.record('a', hb('t1'));
    w.record('b', hb('t1'));
    w.close();
    expect(written).toEqual(['a', 'b']);
    w.record('c', hb('t1'));
    expect(w.size).toBe(0);
  });
});
