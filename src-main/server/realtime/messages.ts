import type { ServerEvent } from '../../../src-shared/api/realtime.js';

/**
 * Server → client frames. Both seeds read the same frame: seed 001 switches on `type`, seed 003 on `event`.
 * A frame is serialized once into a Buffer and that same Buffer goes to every recipient.
 */
export function encode(event: ServerEvent, data: unknown): Buffer {
  return Buffer.from(JSON.stringify({ type: event, event, data }));
}

export function errorFrame(code: string, error: string, details?: unknown): Buffer {
  const data: Record<string, unknown> = { error, code, timestamp: new Date().toISOString() };
  if (details !== undefined) data.details = details;
  return encode('error', data);
}

/** What a role may do on the socket (seed 003's `permissions`). */
export function permissionsFor(role: string): string[] {
  const base = ['receive_notifications', 'receive_quota_updates'];
  if (role === 'station') return [...base, 'sync'];
  if (role === 'operator') return [...base, 'sync', 'view_presence'];
  return [...base, 'sync', 'view_presence', 'send_notifications', 'admin'];
}
