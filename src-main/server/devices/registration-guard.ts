import { firstBlocked, releaseAll, reserveInOrder } from '../runtime/limiter-steps.js';
import type { Limiter, LimiterStep, Runtime } from '../runtime/runtime.js';

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

  /**
   * A presented token that is not the device's (nor its expired or burned one) is a guess: it takes one guess from
   * the device's and the IP's budgets BEFORE it is evaluated, atomically, so a burst of concurrent wrong tokens on
   * any number of instances gets at most the budget evaluated. Returns the lock's end when a budget was spent.
   *
   * Right tokens never reserve, they only check: a burst of correct redemptions through one IP (a NAT, a proxy)
   * is never refused for holding budget that only wrong tokens spend.
   */
  async reserveGuess(deviceKey: string, ip: string): Promise<Date | undefined> {
    // The device's budget first, then the IP's, in one step (one statement on a shared runtime). A guess the
    // IP's budget refused still counts against the device: giving it back would let a burst whose IP
    // reservations are briefly full leave the device below its lock after dozens of guesses. A guess the
    // device's budget refused takes nothing from the IP's, so one locked device does not lock everybody behind
    // the same address.
    const refused = await reserveInOrder(this.steps(deviceKey, ip));
    return refused?.resetAt;
  }

  /** The guess turned out not to be one (the token had just been reissued) or was never evaluated. */
  async returnGuess(deviceKey: string, ip: string): Promise<void> {
    await releaseAll(this.steps(deviceKey, ip));
  }

  /** For a token that is not a guess: when the device or the IP is locked out, the time the lock ends. */
  async lockedUntil(deviceKey: string, ip: string): Promise<Date | undefined> {
    // The IP's lock first: its end is the later one to wait for when both are spent.
    return (await firstBlocked(this.steps(deviceKey, ip).reverse()))?.resetAt;
  }

  /** A probe for a device that does not exist: reserves from the IP's budget (key enumeration). */
  async unknownDevice(ip: string): Promise<Date | undefined> {
    const r = await this.perIp.reserve(ip);
    return r.allowed ? undefined : r.resetAt;
  }

  /** Always device, then IP: the order the shared store locks the two rows in. */
  private steps(deviceKey: string, ip: string): LimiterStep[] {
    return [
      { limiter: this.perDevice, key: deviceKey },
      { limiter: this.perIp, key: ip },
    ];
  }

  /** The admin issued a new token: the device starts with a clean slate. */
  async resetDevice(deviceKey: string): Promise<void> {
    await this.perDevice.reset(deviceKey);
  }
}
