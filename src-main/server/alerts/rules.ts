import type { AlertType } from '../../../src-shared/api/alerts.js';
import type { AlertSettings } from './settings.js';
import type { ActiveCondition, AlertRecord, AlertsRepo, EventsOf } from '../store/alerts-repo.js';
import type { WebhooksRepo } from '../store/webhooks-repo.js';
import { webhookEvent } from '../webhooks/events.js';
import { raisedEventType } from './views.js';

/**
 * Heartbeats of another instance may still sit in its write-behind buffer (1 s at the latest): a device counts as
 * silent only that much after its threshold, as for the offline sweep.
 */
export const FLUSH_MARGIN_MS = 1000;
const iso = (ms: number) => new Date(ms).toISOString();

export interface RuleContext {
  alerts: AlertsRepo;
  webhooks: WebhooksRepo;
  settings: AlertSettings;
  /** The silence threshold of devices whose group sets none (each group's own threshold wins, in the store). */
  silenceSec(): number;
  /** Told about every alert this pass opened or resolved (to push it to admin sockets). */
  changed(raised: readonly AlertRecord[], resolved: readonly AlertRecord[]): void;
}

/**
 * The webhook event each opened alert raises, with the alert's own data; only for types some endpoint subscribed
 * to when given (a mass outage would otherwise build 100,000 bodies nobody receives).
 */
export function eventsForRaised(t: number, subscribed?: ReadonlySet<string>): EventsOf {
  return ({ raised }) =>
    raised.flatMap((a) => {
      const type = raisedEventType(a.type);
      if (!type || (subscribed && !subscribed.has(type))) return [];
      return [webhookEvent(type, { alert_id: a.id, target: a.target, ...parse(a.data) }, t)];
    });
}

function parse(data: string): Record<string, unknown> {
  try {
    return JSON.parse(data) as Record<string, unknown>;
  } catch {
    return {};
  }
}

const cond = (target: string, data: Record<string, unknown>): ActiveCondition => ({
  target,
  data: JSON.stringify(data),
});

/**
 * One evaluation pass over every rule, at time `t`. Each rule hands the store the full set of conditions true
 * now; the store opens, refreshes and resolves alerts in one transaction per rule, with the webhook deliveries.
 */
export async function evaluateRules(rc: RuleContext, t: number): Promise<void> {
  const now = iso(t);
  const s = rc.settings;
  const hooks = await rc.webhooks.list();
  const subscribed = new Set<string>(hooks.filter((w) => w.enabled).flatMap((w) => w.events));
  const reconcile = async (
    type: AlertType,
    active: ActiveCondition[],
    events: EventsOf = eventsForRaised(t, subscribed),
  ) => {
    const r = await rc.alerts.reconcile(type, active, now, events);
    rc.changed(r.raised, r.resolved);
  };

  // Silent devices; a device that comes back resolves its alert and raises device.online (a revoked or deleted
  // one resolves it silently: it did not come back).
  const threshold = rc.silenceSec();
  const raisedEvents = eventsForRaised(t, subscribed);
  const silence = await rc.alerts.reconcileSilence(
    iso(t - FLUSH_MARGIN_MS),
    threshold,
    now,
    ({ raised, back }) => [
      ...raisedEvents({ raised, resolved: [] }),
      ...(subscribed.has('device.online')
        ? back.map((a) => webhookEvent('device.online', { alert_id: a.id, device_key: a.target }, t))
        : []),
    ],
  );
  rc.changed(silence.raised, [...silence.back, ...silence.gone]);

  // Quotas: exhausted at zero, low at or below the threshold.
  const low = await rc.alerts.clientsAtOrBelow(s.quotaLow);
  const quota = (c: (typeof low)[number]) =>
    cond(String(c.id), { client_id: c.id, name: c.name, remaining: c.remaining, threshold: s.quotaLow });
  await reconcile('quota.exhausted', low.filter((c) => c.remaining === 0).map(quota));
  await reconcile('quota.low', low.filter((c) => c.remaining > 0).map(quota));

  // Licenses in use expiring within N days (an expired one leaves the window and resolves).
  const expiring = await rc.alerts.licensesExpiring(now, iso(t + s.licenseDays * 86_400_000));
  await reconcile(
    'license.expiring',
    expiring.map((l) =>
      cond(l.id, {
        license_id: l.id,
        expires_at: l.expires_at,
        days_left: Math.max(0, Math.floor((Date.parse(l.expires_at) - t) / 86_400_000)),
      }),
    ),
  );

  // Guessing is raised by the registration route as it happens; it resolves after a quiet period.
  const quiet = await rc.alerts.resolveStale(
    'registration.guessing',
    iso(t - s.guessQuietSec * 1000),
    now,
    () => [],
  );
  rc.changed([], quiet);

  // A disabled endpoint stays an open alert until the operator deletes it.
  const disabled = hooks.filter((w) => !w.enabled);
  await reconcile(
    'webhook.disabled',
    disabled.map((w) => cond(w.id, { webhook_id: w.id, url: w.url, disabled_at: w.disabled_at })),
  );
}
