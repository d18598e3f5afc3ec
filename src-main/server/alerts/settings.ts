/**
 * Alert thresholds and webhook delivery policy, from the environment (README "Alerts and webhooks" lists them).
 * Parsed apart from config.ts's own settings so the two families can change without touching each other.
 */
export interface AlertSettings {
  /** How often the fleet's evaluator runs a pass (OUTPOST_ALERT_EVERY_MS, default 15 s). */
  everyMs: number;
  /**
   * Silence threshold for devices without a group threshold (OUTPOST_ALERT_SILENCE_SEC, default 3 heartbeat
   * intervals, like the offline sweep).
   */
  silenceSec: number;
  /** A client's remaining quota at or below this raises quota.low (OUTPOST_ALERT_QUOTA_LOW, default 10). */
  quotaLow: number;
  /** Active licenses expiring within this many days raise license.expiring (OUTPOST_ALERT_LICENSE_DAYS, 14). */
  licenseDays: number;
  /** Wrong registration tokens for one device within the guard's window (OUTPOST_ALERT_GUESSES, default 5). */
  guesses: number;
  /** A guessing alert resolves after this long without a wrong token (OUTPOST_ALERT_GUESS_QUIET_SEC, 900). */
  guessQuietSec: number;
}

export interface WebhookSettings {
  /** How often the fleet's dispatcher looks for due deliveries (OUTPOST_WEBHOOK_DISPATCH_EVERY_MS, 1 s). */
  everyMs: number;
  /** Per attempt: connect, send and answer (OUTPOST_WEBHOOK_TIMEOUT_MS, default 10 s). */
  timeoutMs: number;
  /** First retry delay, doubled per attempt up to an hour, with jitter (OUTPOST_WEBHOOK_BACKOFF_MS, 10 s). */
  backoffMs: number;
  /** A delivery is given up this long after its event (OUTPOST_WEBHOOK_RETRY_HOURS, default 24). */
  retryHours: number;
  /**
   * An endpoint is disabled (and an alert raised) once it failed this many attempts in a row
   * (OUTPOST_WEBHOOK_DISABLE_FAILURES, default 20) over at least this many hours (OUTPOST_WEBHOOK_DISABLE_HOURS,
   * default 12): a receiver down for a minute is retried, not disabled.
   */
  disableFailures: number;
  disableHours: number;
  /** Allow loopback, private and link-local targets (OUTPOST_WEBHOOK_ALLOW_PRIVATE=1); refused by default. */
  allowPrivate: boolean;
}

const num = (env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number => {
  const v = env[name];
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`${name}: invalid number '${v}' (allowed ${min}..${max})`);
  return n;
};

export function alertSettings(env: NodeJS.ProcessEnv, heartbeatIntervalSec: number): AlertSettings {
  return {
    everyMs: num(env, 'OUTPOST_ALERT_EVERY_MS', 15_000, 100, 86_400_000),
    silenceSec: num(env, 'OUTPOST_ALERT_SILENCE_SEC', 3 * heartbeatIntervalSec, 1, 30 * 86_400),
    quotaLow: num(env, 'OUTPOST_ALERT_QUOTA_LOW', 10, 0, 1_000_000_000),
    licenseDays: num(env, 'OUTPOST_ALERT_LICENSE_DAYS', 14, 0, 3650),
    guesses: num(env, 'OUTPOST_ALERT_GUESSES', 5, 1, 1_000_000),
    guessQuietSec: num(env, 'OUTPOST_ALERT_GUESS_QUIET_SEC', 900, 1, 30 * 86_400),
  };
}

export function webhookSettings(env: NodeJS.ProcessEnv): WebhookSettings {
  return {
    everyMs: num(env, 'OUTPOST_WEBHOOK_DISPATCH_EVERY_MS', 1000, 10, 86_400_000),
    timeoutMs: num(env, 'OUTPOST_WEBHOOK_TIMEOUT_MS', 10_000, 10, 300_000),
    backoffMs: num(env, 'OUTPOST_WEBHOOK_BACKOFF_MS', 10_000, 1, 3_600_000),
    retryHours: num(env, 'OUTPOST_WEBHOOK_RETRY_HOURS', 24, 0, 24 * 30),
    disableFailures: num(env, 'OUTPOST_WEBHOOK_DISABLE_FAILURES', 20, 1, 1_000_000),
    disableHours: num(env, 'OUTPOST_WEBHOOK_DISABLE_HOURS', 12, 0, 24 * 30),
    allowPrivate: env.OUTPOST_WEBHOOK_ALLOW_PRIVATE === '1',
  };
}
