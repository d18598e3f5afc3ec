import type { AlertState, AlertType } from '../../../src-shared/api/alerts.js';
import type { NewWebhookEvent } from './webhooks-repo.js';

export interface AlertRecord {
  id: number;
  type: AlertType;
  target: string;
  state: AlertState;
  first_seen: string;
  last_seen: string;
  resolved_at: string | null;
  /** JSON text. */
  data: string;
}

/** A condition a rule sees now: the alert (type, target) should be open. */
export interface ActiveCondition {
  target: string;
  /** JSON text stored with a new alert. */
  data: string;
}

/**
 * Turns what changed into webhook events, inside the transaction that changed it, so an alert and the deliveries
 * it causes commit together or not at all. Must be pure: a PostgreSQL transaction may run it again.
 */
export type EventsOf = (change: { raised: AlertRecord[]; resolved: AlertRecord[] }) => NewWebhookEvent[];

export interface AlertsRepo {
  /**
   * Makes the open alerts of `type` match `active`: opens the missing ones (one open alert per (type, target),
   * whoever races), refreshes last_seen of those still active and resolves the others, in one transaction with
   * the webhook deliveries `events` asks for. Returns only what this call changed, so two evaluators overlapping
   * raise each alert once.
   */
  reconcile(
    type: AlertType,
    active: readonly ActiveCondition[],
    now: string,
    events: EventsOf,
  ): Promise<{ raised: AlertRecord[]; resolved: AlertRecord[] }>;
  /** Opens (or refreshes last_seen of) one alert; returns it only when this call opened it. */
  raise(type: AlertType, c: ActiveCondition, now: string, events: EventsOf): Promise<AlertRecord | undefined>;
  /** Resolves the open alerts of `type` not seen since `before` (guessing that stopped), with their events. */
  resolveStale(type: AlertType, before: string, now: string, events: EventsOf): Promise<AlertRecord[]>;
  list(q: { state?: AlertState; type?: AlertType; offset: number; limit: number }): Promise<{
    alerts: AlertRecord[];
    total: number;
  }>;
  open(type: AlertType): Promise<AlertRecord[]>;
  openCounts(): Promise<Partial<Record<AlertType, number>>>;

  /**
   * The silence rule, set-based in the store (a mass outage opens 100,000 alerts; shipping them through the
   * application would cost seconds): opens device.offline for registered devices last seen more than their
   * group's silence threshold (or `defaultSec` when the group has none) before `asOf`, refreshes those still
   * silent, resolves as `back` those seen since and as `gone` those revoked or deleted,
   * in one transaction with the webhook deliveries `events` asks for.
   */
  reconcileSilence(
    asOf: string,
    defaultSec: number,
    now: string,
    events: (change: { raised: AlertRecord[]; back: AlertRecord[] }) => NewWebhookEvent[],
  ): Promise<{ raised: AlertRecord[]; back: AlertRecord[]; gone: AlertRecord[] }>;
  /** Clients whose remaining quota is at or below `threshold`. */
  clientsAtOrBelow(threshold: number): Promise<{ id: number; name: string; remaining: number }[]>;
  /** Licenses in use (activated/active) whose expiry falls in [from, until). */
  licensesExpiring(from: string, until: string): Promise<{ id: string; expires_at: string }[]>;
}
