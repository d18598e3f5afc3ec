/**
 * The agent's estimate of the server's clock. Expiries the server issues (login JWTs, license certificates) are
 * the server's statements in the server's time, so judging them by a station clock that is days off drops a fresh
 * login or misreads a license. Every server answer carries a `Date` header (sync answers also `server_time`): we
 * keep the measured offset (server − local) and persist it in `<dataDir>/clock.json`, so a fresh process (each
 * CLI command is one) starts with it instead of trusting its own clock again.
 *
 * The file is not a security boundary: it only moves the estimate. What must not be revived by moving the clock
 * back (an expired license) keeps its own high-water mark where the user cannot edit it unnoticed.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../errors.js';
import { createLogger } from '../logging/logger.js';

const log = createLogger('clock');
/** The Date header has one-second resolution plus the request's latency: smaller changes are noise. */
const TOLERANCE_MS = 2_000;

export function clockFilePath(dataDir: string): string {
  return join(dataDir, 'clock.json');
}

export interface ServerClockOptions {
  /** Where the measured offset survives restarts; none = in memory only. */
  file?: string;
  /** The local clock (tests move it); default Date.now. */
  localNow?: () => number;
}

export class ServerClock {
  private offset: number | null = null;
  private readonly local: () => number;

  constructor(private readonly o: ServerClockOptions = {}) {
    this.local = o.localNow ?? Date.now;
    this.offset = o.file ? readOffset(o.file) : null;
  }

  /** This machine's clock, unadjusted. */
  localNow(): number {
    return this.local();
  }

  /** The server's time as best known: the local clock plus the last measured offset (0 before any answer). */
  now(): number {
    return this.local() + (this.offset ?? 0);
  }

  /** Whether an answer from the server has ever been measured (here or by an earlier process). */
  get measured(): boolean {
    return this.offset !== null;
  }

  get offsetMs(): number | null {
    return this.offset;
  }

  /** Records the server's time as stated by an answer received at local time `localAt` (default: now). */
  observe(serverMs: number, localAt = this.local()): void {
    if (!Number.isFinite(serverMs)) return;
    const measured = serverMs - localAt;
    // Within the measurement's own error the clocks agree: keep using the local clock as it is.
    const next = Math.abs(measured) < TOLERANCE_MS ? 0 : measured;
    if (this.offset !== null && Math.abs(next - this.offset) < TOLERANCE_MS) return;
    const before = this.offset;
    this.offset = next;
    if (before === null || Math.abs(next - before) > 60_000) {
      log.info({ offset_ms: next, previous_ms: before }, 'server clock offset measured');
    }
    if (this.o.file) writeOffset(this.o.file, next, localAt);
  }

  /** An HTTP `Date` header (RFC 7231, whole seconds: the true time lies within the following second). */
  observeDateHeader(value: unknown, localAt = this.local()): void {
    if (typeof value !== 'string') return;
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) this.observe(ms + 500, localAt);
  }

  /** An ISO `server_time` field from a sync answer (millisecond precision). */
  observeIso(value: unknown, localAt = this.local()): void {
    if (typeof value !== 'string') return;
    const ms = Date.parse(value);
    if (Number.isFinite(ms)) this.observe(ms, localAt);
  }
}

function readOffset(file: string): number | null {
  if (!existsSync(file)) return null;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as { offset_ms?: unknown };
    return typeof v.offset_ms === 'number' && Number.isFinite(v.offset_ms) ? v.offset_ms : null;
  } catch (err) {
    // A damaged estimate is re-measured at the next answer; until then the local clock is used.
    log.warn({ file, reason: describeError(err) }, 'clock.json unreadable: measuring the offset again');
    return null;
  }
}

function writeOffset(file: string, offsetMs: number, localAt: number): void {
  try {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(
      tmp,
      `${JSON.stringify({ offset_ms: offsetMs, measured_at_local: new Date(localAt).toISOString() })}\n`,
      { mode: 0o600 },
    );
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch (err) {
    // A full disk must not fail the request that measured it: the in-memory offset still applies.
    log.warn({ file, reason: describeError(err) }, 'could not persist the server clock offset');
  }
}
