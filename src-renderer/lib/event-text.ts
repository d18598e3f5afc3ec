/**
 * Live events as sentences for the operator ("Copy completed for Acme (3 left)"), never raw JSON.
 *
 * A realtime message's `data` arrives as the server sent it; each sentence reads only the fields it needs,
 * checked here, and falls back to a generic line naming the event when they are missing, so a server newer
 * than this UI still produces something readable. The describer remembers client names and quotas from
 * `quota_updated` (the server announces those before the `copy_completed` of the same push), because a copy
 * event carries only client ids.
 */
import { z } from 'zod';
import type { AgentEvent } from '../api/types.js';
import { reasonInWords } from './op-reasons.js';

const QuotaUpdated = z.object({
  client_id: z.number(),
  name: z.string(),
  remaining: z.number(),
  total: z.number().optional(),
});
const CopyCompleted = z.object({
  count: z.number().optional(),
  copies: z.array(z.object({ client_id: z.number().nullable().optional() })).optional(),
});
const SyncCompleted = z.object({
  synced: z.number(),
  failed: z.number(),
  duplicates: z.number().optional(),
});
const Presence = z.object({
  device_id: z.string().nullable().optional(),
  device_key: z.string().optional(),
  username: z.string().nullable().optional(),
  reason: z.string().optional(),
});
const NotificationData = z.object({ title: z.string(), message: z.string().optional() });
const NotificationUpdated = z.object({ read: z.boolean().optional() });
const LicenseUpdated = z.object({ status: z.string().optional() });
const ErrorData = z.object({ error: z.string().optional(), code: z.string().optional() });
const AuthenticatedData = z.object({ user: z.object({ username: z.string() }).optional() });

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "sync_completed" → "Sync completed": an unknown event still reads as words. */
function humanize(name: string): string {
  const words = name.replace(/[_.-]+/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Event';
}

interface ClientMemory {
  name: string;
  remaining: number;
}

export type EventDescriber = (e: AgentEvent) => string | null;

/** A describer with its own memory of client names (one per event buffer). */
export function createEventDescriber(): EventDescriber {
  const clients = new Map<number, ClientMemory>();

  const clientLabel = (id: number | null | undefined): string => {
    if (id === null || id === undefined) return 'no client';
    const c = clients.get(id);
    return c ? `${c.name} (${c.remaining} left)` : `client #${id}`;
  };

  function realtime(event: string, data: unknown): string | null {
    switch (event) {
      case 'pong':
        return null; // keep-alive answers say nothing to an operator
      case 'connected':
        return 'Connected to the server’s live updates';
      case 'disconnected':
        return 'Disconnected from the server’s live updates';
      case 'authenticated': {
        const d = AuthenticatedData.safeParse(data);
        const who = d.success ? d.data.user?.username : undefined;
        return who ? `Live updates signed in as ${who}` : 'Live updates signed in';
      }
      case 'authentication_error':
        return 'The server refused the live-updates login';
      case 'quota_updated': {
        const d = QuotaUpdated.safeParse(data);
        if (!d.success) break;
        clients.set(d.data.client_id, { name: d.data.name, remaining: d.data.remaining });
        const of = d.data.total === undefined ? '' : ` of ${d.data.total}`;
        return `Quota for ${d.data.name}: ${d.data.remaining}${of} copies left`;
      }
      case 'copy_completed': {
        const d = CopyCompleted.safeParse(data);
        if (!d.success) break;
        const copies = d.data.copies ?? [];
        const count = d.data.count ?? copies.length;
        const byClient = new Map<number | null, number>();
        for (const c of copies)
          byClient.set(c.client_id ?? null, (byClient.get(c.client_id ?? null) ?? 0) + 1);
        if (byClient.size === 0) return `${plural(count, 'copy', 'copies')} completed`;
        if (byClient.size === 1) {
          const what = count === 1 ? 'Copy' : `${count} copies`;
          return `${what} completed for ${clientLabel([...byClient.keys()][0])}`;
        }
        const parts = [...byClient].map(([id, n]) => `${n} for ${clientLabel(id)}`);
        return `${plural(count, 'copy', 'copies')} completed: ${parts.join(', ')}`;
      }
      case 'sync_completed': {
        const d = SyncCompleted.safeParse(data);
        if (!d.success) break;
        const dup = d.data.duplicates ? `, ${d.data.duplicates} already known` : '';
        return d.data.failed > 0
          ? `Sync finished with problems: ${d.data.synced} synced, ${d.data.failed} failed${dup}`
          : `Sync completed: ${plural(d.data.synced, 'operation')} synced${dup}`;
      }
      case 'device_online':
      case 'device_offline': {
        const d = Presence.safeParse(data);
        if (!d.success) break;
        const who = d.data.device_id ?? d.data.device_key ?? 'A device';
        if (event === 'device_online') {
          return `Device ${who} came online${d.data.username ? ` (${d.data.username})` : ''}`;
        }
        const why = d.data.reason === 'heartbeat_missed' ? ' (heartbeats stopped)' : '';
        return `Device ${who} went offline${why}`;
      }
      case 'notification': {
        const d = NotificationData.safeParse(data);
        if (!d.success) break;
        return `Notification: ${d.data.title}${d.data.message ? ` — ${d.data.message}` : ''}`;
      }
      case 'notification_updated': {
        const d = NotificationUpdated.safeParse(data);
        return d.success && d.data.read ? 'A notification was marked as read' : 'A notification changed';
      }
      case 'license_updated': {
        const d = LicenseUpdated.safeParse(data);
        const status = d.success ? d.data.status : undefined;
        return status
          ? `The server changed this license (now ${status}); checking it again`
          : 'The server changed this license; checking it again';
      }
      case 'error': {
        const d = ErrorData.safeParse(data);
        if (!d.success) break;
        const what = d.data.error ?? (d.data.code ? reasonInWords(d.data.code) : 'no details given');
        return `The server reported an error: ${what}`;
      }
    }
    return `${humanize(event)} (from the server)`;
  }

  return (e) => {
    switch (e.type) {
      case 'log':
        return null; // the log viewer shows those
      case 'realtime':
        return realtime(e.data.event, e.data.data);
      case 'station.status': {
        const s = e.data;
        const queue = `${plural(s.pending, 'copy', 'copies')} waiting, ${s.failed} failed`;
        if (!s.online) return `Station offline: ${queue}`;
        return `Station online${s.syncing ? ', syncing' : ''}: ${queue}`;
      }
      case 'station.sync-progress': {
        const p = e.data;
        if (p.phase === 'push') return `Sending ${p.done} of ${plural(p.total, 'operation')} to the server`;
        if (p.phase === 'pull') return 'Fetching quotas from the server';
        if (p.phase === 'done') return `Sync finished${p.message ? `: ${p.message}` : ''}`;
        return `Sync did not finish${p.message ? `: ${p.message}` : ''}`;
      }
      case 'device.status': {
        const s = e.data;
        if (!s.registered) return 'This device is not registered';
        if (s.heartbeat === 'reregistration_needed') {
          return `The server refused this device${s.last_error ? `: ${s.last_error}` : ''}`;
        }
        if (s.consecutive_failures > 0) {
          return `Heartbeat failing (${plural(s.consecutive_failures, 'attempt')})${
            s.last_error ? `: ${s.last_error}` : ''
          }`;
        }
        return s.heartbeat === 'active' ? 'Heartbeat active' : `Heartbeat ${s.heartbeat}`;
      }
      case 'license.status':
        return `License ${e.data.state}: ${e.data.message}`;
      case 'server.status': {
        const s = e.data;
        if (s.running) return `Embedded server running on ${s.url ?? `port ${s.port}`}`;
        return s.last_error ? `Embedded server stopped: ${s.last_error}` : 'Embedded server stopped';
      }
      default: {
        // A type this UI does not know yet (the stream is extend-only): name it in words.
        const unknown = e as { type: string };
        return humanize(unknown.type);
      }
    }
  };
}
