import type { FastifyRequest } from 'fastify';
import { rateLimitError } from '../rate-limiter.js';
import type { Limiter, Runtime } from '../runtime/runtime.js';

/** An activation or deactivation naming a license key that does not exist counts this many ordinary attempts. */
export const UNKNOWN_KEY_WEIGHT = 10;
const WINDOW_MS = 15 * 60_000;

/**
 * Brute-force guard for the public license endpoints, on top of the per-IP per-minute route limit: every attempt
 * weighs 1 and every unknown key weighs 10 in a 15-minute per-IP budget of 5 × OUTPOST_RATE_LIMIT_PER_MIN
 * (default 300: 30 unknown keys per quarter hour, reserved before they are looked up). Deactivations are also limited per license (10 an hour),
 * so a leaked key cannot be used to bounce the owner's machines off their seats in a loop.
 */
export class LicenseLimits {
  readonly perIp: Limiter;
  readonly deactivationsPerLicense: Limiter;

  /** Counted by the runtime: one budget for the whole fleet when the runtime is shared. */
  constructor(runtime: Runtime, ratePerMin: number) {
    this.perIp = runtime.limiter('license-ip', { max: ratePerMin * 5, windowMs: WINDOW_MS });
    this.deactivationsPerLicense = runtime.limiter('license-deactivations', {
      max: 10,
      windowMs: 60 * 60_000,
    });
  }

  /**
   * Runs one activation or deactivation attempt under the caller's budget. The worst case (an unknown key,
   * `UNKNOWN_KEY_WEIGHT`) is reserved BEFORE the key is looked up, atomically (fleet-wide on a shared runtime),
   * so a burst of concurrent guesses on any number of instances gets at most budget / UNKNOWN_KEY_WEIGHT keys
   * looked up; a reservation that does not fit answers 429 without any work. A key that exists gives back all
   * but one (an ordinary attempt costs 1, as before); an attempt that failed before its answer gives back all.
   * The price: a known key needs UNKNOWN_KEY_WEIGHT free for the moment it is in flight, so the last
   * UNKNOWN_KEY_WEIGHT - 1 of the budget are never reached by ordinary attempts either.
   */
  async attempt<T>(
    request: FastifyRequest,
    run: () => Promise<T>,
    unknownKey: (out: T) => boolean,
  ): Promise<T> {
    const r = await this.perIp.reserve(request.ip, UNKNOWN_KEY_WEIGHT);
    if (!r.allowed) throw rateLimitError(r.resetAt);
    let out: T;
    try {
      out = await run();
    } catch (err) {
      await this.perIp.release(request.ip, UNKNOWN_KEY_WEIGHT);
      throw err;
    }
    if (!unknownKey(out)) await this.perIp.release(request.ip, UNKNOWN_KEY_WEIGHT - 1);
    return out;
  }

  async checkDeactivation(licenseKey: string): Promise<void> {
    const r = await this.deactivationsPerLicense.hit(licenseKey);
    if (!r.allowed) throw rateLimitError(r.resetAt);
  }
}
