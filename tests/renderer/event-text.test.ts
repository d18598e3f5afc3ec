import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src-renderer/api/types.js';
import { createEventDescriber } from '../../src-renderer/lib/event-text.js';

const rt = (event: string, data: unknown): AgentEvent => ({ type: 'realtime', data: { event, data } });

describe('live events in words', () => {
  it('names the client and what is left on a copy, from the quota announced before it', () => {
    const d = createEventDescriber();
    expect(d(rt('quota_updated', { client_id: 7, name: 'Acme', remaining: 3, total: 10, ts: 1 }))).toBe(
      'Quota for Acme: 3 of 10 copies left',
    );
    expect(
      d(rt('copy_completed', { device_id: 'k', count: 1, copies: [{ id: 1, client_id: 7, uid: '04A1' }] })),
    ).toBe('Copy completed for Acme (3 left)');
    expect(d(rt('copy_completed', { count: 2, copies: [{ client_id: 7 }, { client_id: 7 }] }))).toBe(
      '2 copies completed for Acme (3 left)',
    );
  });

  it('groups a batch of copies per client, and falls back to the client id when no name is known yet', () => {
    const d = createEventDescriber();
    d(rt('quota_updated', { client_id: 1, name: 'Acme', remaining: 5, total: 10 }));
    const copies = [{ client_id: 1 }, { client_id: 1 }, { client_id: 2 }];
    expect(d(rt('copy_completed', { count: 3, copies }))).toBe(
      '3 copies completed: 2 for Acme (5 left), 1 for client #2',
    );
  });

  it('reads every server event as a sentence', () => {
    const d = createEventDescriber();
    const lines = [
      d(rt('sync_completed', { total: 4, synced: 3, failed: 1, duplicates: 0 })),
      d(rt('sync_completed', { total: 2, synced: 2, failed: 0, duplicates: 1 })),
      d(rt('device_online', { device_id: 'kiosk-1', username: 'op' })),
      d(rt('device_offline', { device_id: 'kiosk-1', reason: 'heartbeat_missed' })),
      d(rt('notification', { title: 'Maintenance', message: 'at 18:00' })),
      d(rt('notification_updated', { notification_id: 'notif_1', read: true })),
      d(rt('license_updated', { license_id: 4, status: 'revoked' })),
      d(rt('error', { error: 'Rate limit exceeded', code: 'RATE_LIMITED' })),
      d(rt('authenticated', { user: { username: 'admin' } })),
      d(rt('connected', { socketId: 's' })),
    ];
    expect(lines).toEqual([
      'Sync finished with problems: 3 synced, 1 failed',
      'Sync completed: 2 operations synced, 1 already known',
      'Device kiosk-1 came online (op)',
      'Device kiosk-1 went offline (heartbeats stopped)',
      'Notification: Maintenance — at 18:00',
      'A notification was marked as read',
      'The server changed this license (now revoked); checking it again',
      'The server reported an error: Rate limit exceeded',
      'Live updates signed in as admin',
      'Connected to the server’s live updates',
    ]);
    expect(d(rt('pong', {}))).toBeNull();
  });

  it('gives an unknown event or an unexpected payload a readable generic line, never JSON', () => {
    const d = createEventDescriber();
    expect(d(rt('fleet_rebalanced', { a: { b: 1 } }))).toBe('Fleet rebalanced (from the server)');
    expect(d(rt('copy_completed', 'garbage'))).toBe('Copy completed (from the server)');
    expect(d(rt('quota_updated', { client_id: 'x' }))).toBe('Quota updated (from the server)');
    const future = { type: 'station.nfc-reader', data: { port: '/dev/ttyUSB0' } } as unknown as AgentEvent;
    expect(d(future)).toBe('Station nfc reader');
  });

  it('words the agent’s own status events and leaves log lines to the log viewer', () => {
    const d = createEventDescriber();
    expect(d({ type: 'station.sync-progress', data: { phase: 'push', done: 2, total: 5 } })).toBe(
      'Sending 2 of 5 operations to the server',
    );
    expect(
      d({ type: 'station.sync-progress', data: { phase: 'error', done: 0, total: 0, message: 'timeout' } }),
    ).toBe('Sync did not finish: timeout');
    expect(
      d({
        type: 'server.status',
        data: {
          mode: 'local',
          port: 8787,
          running: false,
          url: null,
          agent_points_here: true,
          started_at: null,
          last_error: 'port 8787 is in use by another program',
          admin_available: false,
        },
      }),
    ).toBe('Embedded server stopped: port 8787 is in use by another program');
    expect(d({ type: 'log', data: { time: 'x', level: 'info', name: null, msg: 'hello' } })).toBeNull();
  });
});
