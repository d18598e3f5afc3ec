import { FixedWindowLimiter } from '../rate-limiter.js';

/**
 * Limits wrong registration-token guesses: a 6-hex token has only 16.7 M values, so without this a token could be
 * found by brute force within its lifetime.
 *
 * Choice: a device over its limit answers 429 even for the RIGHT token until its window ends. Letting the right
 * token through would turn the limiter into an oracle (an attacker keeps guessing and learns which guess
 * "unlocked" it), so the lock is absolute. The price — an attacker can delay one device's registration by
 * 15 minutes — is bounded, and the admin lifts it at once by issuing a new token (POST .../token resets it).
 * Replays of an expired or already burned token are not guesses and do not count.
 */
export const GUESSES_PER_DEVICE = 10;
export const GUESSES_PER_IP = 30;
export const GUESS_WINDOW_MS = 15 * 60_000;

export class RegistrationGuard {
  private readonly perDevice: FixedWindowLimiter;
  private readonly perIp: FixedWindowLimiter;

  constructor(opts: { perDevice?: number; perIp?: number; windowMs?: number; now?: () => number } = {}) {
    const windowMs = opts.windowMs ?? GUESS_WINDOW_MS;
    this.perDevice = new FixedWindowLimiter(
      opts.perDevice ?? GUESSES_PER_DEVICE,
      windowMs,
      100_000,
      opts.now,
    );
    this.perIp = new FixedWindowLimiter(opts.perIp ?? GUESSES_PER_IP, windowMs, 100_000, opts.now);
  }

  /** When the IP is locked out, the time its window ends. */
  ipLockedUntil(ip: string): Date | undefined {
    const r = this.perIp.blocked(ip);
    return r.allowed ? undefined : r.resetAt;
  }

  deviceLockedUntil(deviceKey: string): Date | undefined {
    const r = this.perDevice.blocked(deviceKey);
    return r.allowed ? undefined : r.resetAt;
  }

  /** A wrong token for an existing device: counts against both. */
  wrongToken(deviceKey: string, ip: string): void {
    this.perDevice.hit(deviceKey);
    this.perIp.hit(ip);
  }

  /** A probe for a device that does not exist: counts against the IP (key enumeration). */
  unknownDevice(ip: string): void {
    this.perIp.hit(ip);
  }

  /** The admin issued a new token: the device starts with a clean slate. */
  resetDevice(deviceKey: string): void {
    this.perDevice.reset(deviceKey);
  }
}
