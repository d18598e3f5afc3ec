import type { ServerEvent } from '../../../src-shared/api/realtime.js';
import type { LimitResult } from '../rate-limiter.js';

/** Who receives a realtime event. */
export type Target =
  /** Every authenticated socket (stations, operators, admins). */
  | { kind: 'authenticated' }
  /** Every socket of one device (or of one user without a device: `user:<id>`). */
  | { kind: 'device'; deviceId: string }
  /** Admin and operator sockets (presence is for people, not for other stations). */
  | { kind: 'watchers' };

/** One event as the fan-out carries it. */
export interface RaisedEvent {
  target: Target;
  event: ServerEvent;
  data: unknown;
}

/**
 * A fan-out whose transport is an outbox table in the Store's own database. A Store write can then insert its
 * events into the outbox inside its own transaction (rows tagged with `origin`, stamped `at`), so they are
 * durable exactly when the write is, at no extra commit. After that COMMIT the caller hands the same events to
 * `committed`, which delivers them to this instance's sockets and wakes the other instances (a NOTIFY of its
 * own, never inside the write transaction).
 */
export interface TransactionalOutbox {
  readonly origin: string;
  /** The timestamp the runtime stamps its own rows with (its clock; pruning compares against it). */
  at(): number;
  committed(events: readonly RaisedEvent[]): void;
}

/** What an instance does with an event raised anywhere in the fleet: write it to its own sockets. */
export type LocalDelivery = (target: Target, event: ServerEvent, data: unknown) => void;

/**
 * Realtime fan-out between instances. `publish` delivers to this instance's sockets at once and to every other
 * instance's sockets through the runtime's transport; it returns nothing, because no instance can know
 * synchronously how many sockets the fleet wrote an event to.
 */
export interface FanOut {
  publish(target: Target, event: ServerEvent, data: unknown): void;
  /**
   * Resolves once everything published so far is visible to the other instances (never rejects: a failure is
   * logged where it happens). A route awaits it before acknowledging the write that raised the events, so an
   * instance killed right after its answer cannot take an acknowledged event with it.
   */
  shared(): Promise<void>;
  /** This instance's socket registry; events from every instance (this one included) arrive here. */
  bind(deliver: LocalDelivery): void;
  /** Set only when a Store write may put its events into the fan-out's outbox itself (see the type). */
  readonly outbox?: TransactionalOutbox;
}

/** The rooms a socket counts in: always `authenticated`, `watchers` for people, and its device room. */
export type PresenceRoom = 'authenticated' | 'watchers' | `device:${string}`;

/**
 * Live socket counts for the whole fleet. `join` / `leave` say whether the room went from empty to occupied
 * (or back) fleet-wide, so `device_online` / `device_offline` are raised once, not once per instance.
 */
export interface Presence {
  join(rooms: readonly PresenceRoom[]): Promise<boolean>;
  leave(rooms: readonly PresenceRoom[]): Promise<boolean>;
  /** Sockets connected for a target across the fleet (each of them receives an event published to it). */
  count(target: Target): Promise<number>;
}

export function roomOf(target: Target): PresenceRoom {
  return target.kind === 'device' ? `device:${target.deviceId}` : target.kind;
}

/**
 * A fixed-window budget per key (failed logins per username, wrong registration tokens per device, ...). The
 * shared implementations count in one table with single conditional statements, so N instances enforce one
 * budget, not N.
 */
export interface Limiter {
  readonly max: number;
  readonly windowMs: number;
  /** Counts `weight` hits for `key`; `allowed` says whether the request may go on. */
  hit(key: string, weight?: number): Promise<LimitResult>;
  /** Whether `key` is already over its budget, without counting. */
  blocked(key: string): Promise<LimitResult>;
  /**
   * Takes `weight` from the budget only if it fits (count + weight <= max), in one atomic step, and says whether
   * it did; a refused reservation counts nothing. Racing requests can never together take more than the budget.
   */
  reserve(key: string, weight?: number): Promise<LimitResult>;
  /** Gives back a reservation that turned out not to be spent (never below zero, only in the current window). */
  release(key: string, weight?: number): Promise<void>;
  reset(key: string): Promise<void>;
  /**
   * Set when the budget lives in a store that can answer for several budgets in one statement (the PostgreSQL
   * runtime): the steps in `limiter-steps.ts` then cost one round trip instead of one per budget.
   */
  readonly group?: LimiterGroup;
}

/** One key of one budget, as a step of a multi-budget check or reservation. */
export interface LimiterStep {
  limiter: Limiter;
  key: string;
  weight?: number;
}

/** Several budgets of one store asked in one statement (see `limiter-steps.ts` for the meaning of each). */
export interface LimiterGroup {
  reserveInOrder(steps: readonly LimiterStep[]): Promise<LimitResult | undefined>;
  firstBlocked(steps: readonly LimiterStep[]): Promise<LimitResult | undefined>;
}

/** The budgets the server keeps; the name keys the shared counter table, so it must never be reused. */
export type LimiterName =
  'registration-device' | 'registration-ip' | 'login-failures' | 'license-ip' | 'license-deactivations';

/**
 * Device credential changes (registration, revocation, a new token). The instance that changed the store
 * announces the device key after the write committed; every instance drops its cached entry for it.
 */
export interface AuthInvalidationBus {
  announce(deviceKey: string): Promise<void>;
  subscribe(onInvalidate: (deviceKey: string) => void): void;
}

/** The fleet's secrets: one of each for every instance, never a different key per instance. */
export interface ServerKeys {
  jwtSecret: Uint8Array;
  /** SHA-256 digests of the admin API keys. */
  apiKeyDigests: readonly string[];
  /** Ed25519 private key (PKCS#8 PEM) that signs license certificates. */
  licenseSigningKeyPem: string;
  /** Ed25519 private key (PKCS#8 PEM) of the SSH host key agents pin. */
  sshHostKeyPem: string;
}

/** A job the fleet runs on one instance at a time (the offline sweep, alert rules, webhook dispatch). */
export interface Singleton {
  /** Whether this instance ran the job's last turn. */
  isLeader(): boolean;
  stop(): void;
}

/** Where a runtime reports failures of its background work (the server's logger once it exists). */
export interface RuntimeLog {
  warn(obj: object, msg: string): void;
}

/**
 * State that must be fleet-wide but is not a table row of the `Store`. `buildServer` takes one, so the same
 * routes run as one process (local), as several processes on one SQLite data dir, or as a PostgreSQL fleet.
 */
export interface Runtime {
  readonly kind: 'local' | 'sqlite' | 'postgres';
  /** Distinguishes this instance in logs, `/health` and the shared tables. */
  readonly instanceId: string;
  readonly fanout: FanOut;
  readonly presence: Presence;
  readonly authEvents: AuthInvalidationBus;
  readonly keys: ServerKeys;
  /**
   * An admin API key this runtime generated while creating the fleet's keys: set only on the one instance whose
   * key was kept, which prints it once. (Data dir runtimes leave it to the config, which writes the key file.)
   */
  readonly generatedApiKey?: string;
  limiter(name: LimiterName, opts: { max: number; windowMs: number }): Limiter;
  /**
   * Runs `job` every `everyMs` on exactly one instance at a time; when that instance dies another takes over
   * within a few periods. A failing turn is logged and the next one runs as usual.
   */
  singleton(name: string, everyMs: number, job: () => Promise<void>): Singleton;
  /** buildServer hands over the server's logger; until then background failures are dropped. */
  bindLogger(log: RuntimeLog): void;
  close(): Promise<void>;
}
