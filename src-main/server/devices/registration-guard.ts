import type { Limiter, Runtime } from '../runtime/runtime.js';

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
  constructor(
    private readonly perDevice: Limiter,
    private readonly perIp: Limiter,
  ) {}

  /** The guard with the standard budgets, counted by the runtime (fleet-wide when it is shared). */
  static forRuntime(runtime: Runtime): RegistrationGuard {
    return new RegistrationGuard(
      runtime.limiter('registration-device', { max: GUESSES_PER_DEVICE, windowMs: GUESS_WINDOW_MS }),
      runtime.limiter('registration-ip', { max: GUESSES_PER_IP, windowMs: GUESS_WINDOW_MS }),
    );
  }

  /** When the IP is locked out, the time its window ends. */
  async ipLockedUntil(ip: string): Promise<Date | undefined> {
    const r = await this.perIp.blocked(ip);
    return r.allowed ? undefined : r.resetAt;
  }

  async deviceLockedUntil(deviceKey: string): Promise<Date | undefined> {
    const r = await this.perDevice.blocked(deviceKey);
    return r.allowed ? undefined : r.resetAt;
  }

  /** A wrong token for an existing device: counts against both. */
  async wrongToken(deviceKey: string, ip: string): Promise<void> {
    await this.perDevice.hit(deviceKey);
    await this.perIp.hit(ip);
  }

  /** A probe for a device that does not exist: counts against the IP (key enumeration). */
  async unknownDevice(ip: string): Promise<void> {
    await this.perIp.hit(ip);
  }

  /** The admin issued a new token: the device starts with a clean slate. */
  async resetDevice(deviceKey: string): Promise<void> {
    await this.perDevice.reset(deviceKey);
  }
}
