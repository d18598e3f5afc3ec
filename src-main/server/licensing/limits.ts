import type { FastifyRequest } from 'fastify';
import { rateLimitError } from '../rate-limiter.js';
import type { Limiter, Runtime } from '../runtime/runtime.js';

/** An activation or deactivation naming a license key that does not exist counts this many ordinary attempts. */
export const UNKNOWN_KEY_WEIGHT = 10;
const WINDOW_MS = 15 * 60_000;

/**
 * Brute-force guard for the public license endpoints, on top of the per-IP per-minute route limit: every attempt
 * weighs 1 and every unknown key weighs 10 in a 15-minute per-IP budget of 5 × OUTPOST_RATE_LIMIT_PER_MIN
 * (default 300: 30 unknown keys per quarter hour). Deactivations are also limited per license (10 an hour),
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

  /** Throws 429 when the caller's budget is already spent (before any work is done). */
  async checkIp(request: FastifyRequest): Promise<void> {
    const r = await this.perIp.blocked(request.ip);
    if (!r.allowed) throw rateLimitError(r.resetAt);
  }

  /**
   * Counts one attempt. An unknown key that pushes the caller over the budget is answered 429 instead of 404,
   * so past the limit a guesser learns nothing more about which keys exist.
   */
  async countAttempt(request: FastifyRequest, unknownKey: boolean): Promise<void> {
    const r = await this.perIp.hit(request.ip, unknownKey ? UNKNOWN_KEY_WEIGHT : 1);
    if (unknownKey && !r.allowed) throw rateLimitError(r.resetAt);
  }

  async checkDeactivation(licenseKey: string): Promise<void> {
    const r = await this.deactivationsPerLicense.hit(licenseKey);
    if (!r.allowed) throw rateLimitError(r.resetAt);
  }
}
