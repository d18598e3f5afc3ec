import type { ServerEvent } from '../../../src-shared/api/realtime.js';
import type { WebhookEventType } from '../../../src-shared/api/webhooks.js';
import type { ServerConfig } from '../config.js';
import { GUESSES_PER_DEVICE, GUESS_WINDOW_MS } from '../devices/registration-guard.js';
import type { ServerMetrics } from '../metrics.js';
import type { Runtime, RuntimeLog, Singleton, Target } from '../runtime/runtime.js';
import type { AlertRecord } from '../store/alerts-repo.js';
import type { Store } from '../store/store.js';
import { WebhookDispatcher } from '../webhooks/dispatcher.js';
import { webhookEvent } from '../webhooks/events.js';
import { SecretBox } from '../webhooks/secret-box.js';
import { eventsForRaised, evaluateRules } from './rules.js';
import { alertView } from './views.js';

/** Socket events per pass at most: a mass outage is a count on the console, not 100,000 socket messages. */
const MAX_PUSHED_PER_PASS = 100;

/** A fleet singleton job and one pass of it (tests drive passes with an injected clock). */
export interface FleetJob {
  readonly singleton: Singleton;
  pass(): Promise<unknown>;
}

/**
 * Alerts and webhooks as the routes see them. Requests raise events here and return: queuing a delivery is one
 * insert, sending it is the dispatcher's job on whichever instance holds it.
 */
export interface FleetEvents {
  /** Queues a webhook event (device.registered, device.revoked, test...). Never throws: the request goes on. */
  emit(type: WebhookEventType, data: Record<string, unknown>): Promise<void>;
  /** A wrong registration token was counted for `deviceKey`: raises registration.guessing past the threshold. */
  registrationGuess(deviceKey: string): Promise<void>;
  readonly evaluator: FleetJob;
  readonly dispatcher: FleetJob & { idle(): Promise<void> };
  readonly box: SecretBox;
  now(): number;
  /** Replaces the clock of rules, backoff and timestamps (tests). */
  useClock(now: () => number): void;
  stop(): void;
}

export interface FleetEventsOptions {
  config: ServerConfig;
  store: Store;
  runtime: Runtime;
  metrics: ServerMetrics;
  /** The realtime hub's publish: admin sockets of every instance. */
  publish(target: Target, event: ServerEvent, data: unknown): void;
  log: RuntimeLog;
}

export function startFleetEvents(o: FleetEventsOptions): FleetEvents {
  const { store, config } = o;
  let clock: () => number = Date.now;
  const now = () => clock();
  const box = new SecretBox(o.runtime.keys.jwtSecret);
  // The registration guard's own per-device budget, read (never counted) here: the same fleet-wide counter.
  const guesses = o.runtime.limiter('registration-device', {
    max: GUESSES_PER_DEVICE,
    windowMs: GUESS_WINDOW_MS,
  });
  o.metrics.openAlertCounts = () => store.alerts.openCounts();

  const push = (raised: readonly AlertRecord[], resolved: readonly AlertRecord[]) => {
    const all = [...raised, ...resolved];
    for (const a of all.slice(0, MAX_PUSHED_PER_PASS)) o.publish({ kind: 'watchers' }, 'alert', alertView(a));
  };

  const evaluatePass = () =>
    evaluateRules(
      {
        alerts: store.alerts,
        webhooks: store.webhooks,
        settings: config.alerts,
        silenceSec: () => config.alerts.silenceSec,
        changed: push,
      },
      now(),
    );
  const evaluator: FleetJob = {
    singleton: o.runtime.singleton('alert-rules', config.alerts.everyMs, evaluatePass),
    pass: evaluatePass,
  };

  const dispatch = new WebhookDispatcher({
    repo: store.webhooks,
    box,
    settings: config.webhooks,
    now,
    failed: () => o.metrics.webhookDeliveryFailures.inc(),
    warn: (obj, msg) => o.log.warn(obj, msg),
    async disabled(webhookId, url) {
      const t = now();
      const a = await store.alerts.raise(
        'webhook.disabled',
        {
          target: webhookId,
          data: JSON.stringify({ webhook_id: webhookId, url, disabled_at: new Date(t).toISOString() }),
        },
        new Date(t).toISOString(),
        () => [],
      );
      if (a) push([a], []);
    },
  });
  const dispatcher = {
    // The timer's turn starts deliveries and returns: the singleton's next turn is not held by a slow receiver.
    singleton: o.runtime.singleton('webhook-dispatch', config.webhooks.everyMs, async () => {
      void dispatch.pass().catch((err: unknown) => o.log.warn({ err }, 'webhook dispatch failed'));
    }),
    pass: () => dispatch.pass(),
    idle: () => dispatch.idle(),
  };

  return {
    async emit(type, data) {
      try {
        await store.webhooks.enqueue([webhookEvent(type, data, now())], new Date(now()).toISOString());
      } catch (err) {
        o.log.warn({ err, event: type }, 'webhook event not queued');
      }
    },
    async registrationGuess(deviceKey) {
      try {
        const r = await guesses.blocked(deviceKey);
        const wrong = guesses.max - r.remaining;
        if (wrong < config.alerts.guesses) return;
        const t = now();
        const a = await store.alerts.raise(
          'registration.guessing',
          { target: deviceKey, data: JSON.stringify({ device_key: deviceKey, wrong_tokens: wrong }) },
          new Date(t).toISOString(),
          eventsForRaised(t),
        );
        if (a) push([a], []);
      } catch (err) {
        o.log.warn({ err }, 'registration guessing alert not raised');
      }
    },
    evaluator,
    dispatcher,
    box,
    now,
    useClock(fn) {
      clock = fn;
    },
    stop() {
      evaluator.singleton.stop();
      dispatcher.singleton.stop();
    },
  };
}
