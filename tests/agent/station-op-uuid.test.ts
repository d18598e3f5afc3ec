import { describe, expect, it } from 'vitest';
import { opUuid } from '../../src-main/agent/station/op-uuid.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('op uuids (UUIDv7)', () => {
  it('are RFC 9562 version 7 with the current time in the first 48 bits', () => {
    const before = Date.now();
    const u = opUuid();
    const after = Date.now();
    expect(u).toMatch(V7);
    const ms = parseInt(u.slice(0, 8) + u.slice(9, 13), 16);
    // The generator may run a few ms ahead after a burst (counter overflow borrows the next millisecond).
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after + 50);
  });

  it('20,000 in a tight loop (many per millisecond): all distinct and strictly increasing as strings', () => {
    const all = Array.from({ length: 20_000 }, () => opUuid());
    expect(new Set(all).size).toBe(all.length);
    for (let i = 1; i < all.length; i++) expect(all[i]! > all[i - 1]!).toBe(true);
    for (const u of all.slice(0, 100)) expect(u).toMatch(V7);
  });
});
