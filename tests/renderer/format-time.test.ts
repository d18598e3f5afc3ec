import { beforeAll, describe, expect, it } from 'vitest';

// A zone with a half-hour offset and no DST, so the test fails if anything shows UTC or the runner's zone.
// Set before the module loads: its formatters take the zone when they are built.
process.env.TZ = 'Asia/Kolkata';
let fmt: typeof import('../../src-renderer/lib/format.js');
beforeAll(async () => {
  fmt = await import('../../src-renderer/lib/format.js');
});

const NOON_UTC = '2026-12-02T12:00:00.000Z';

describe('one time format, in the local zone', () => {
  it('shows a server UTC time, an offset time and epoch ms for the same instant identically, in local time', () => {
    const fromIso = fmt.formatTime(NOON_UTC);
    expect(fromIso).toContain('17:30:00');
    expect(fromIso).toContain('2026');
    expect(fmt.formatTime('2026-12-02T13:00:00+01:00')).toBe(fromIso);
    expect(fmt.formatTime(Date.parse(NOON_UTC))).toBe(fromIso);
  });

  it('gives the time of day alone for today, and the date with it otherwise', () => {
    const sameDay = Date.parse('2026-12-02T15:00:00Z');
    expect(fmt.formatClock(NOON_UTC, sameDay)).toBe('17:30:00');
    const nextDay = Date.parse('2026-12-03T15:00:00Z');
    expect(fmt.formatClock(NOON_UTC, nextDay)).toBe(fmt.formatTime(NOON_UTC));
    // 19:00 UTC on the 2nd is half past midnight on the 3rd here: "today" is the local day, and a 24-hour
    // clock starts at 00, not 24.
    expect(fmt.formatClock('2026-12-02T19:00:00Z', Date.parse('2026-12-03T00:10:00+05:30'))).toBe('00:30:00');
    expect(fmt.formatClock('2026-12-02T19:00:00Z', Date.parse('2026-12-02T23:50:00+05:30'))).toBe(
      fmt.formatTime('2026-12-02T19:00:00Z'),
    );
  });

  it('says "never" for no time and passes through what is not a time', () => {
    expect(fmt.formatTime(null)).toBe('never');
    expect(fmt.formatTime('')).toBe('never');
    expect(fmt.formatTime('soon')).toBe('soon');
    expect(fmt.formatClock(undefined)).toBe('');
    expect(fmt.machineTime('soon')).toBeUndefined();
    expect(fmt.machineTime(Date.parse(NOON_UTC))).toBe(NOON_UTC);
  });

  it('names the zone it shows times in', () => {
    // ICU may answer with the zone's older alias.
    expect(fmt.localZoneLabel(Date.parse(NOON_UTC))).toMatch(/^Asia\/(Kolkata|Calcutta), UTC\+05:30$/);
  });
});
