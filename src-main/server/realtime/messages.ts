import type { ServerEvent } from '../../../src-shared/api/realtime.js';
import { preEncodedTextFrame } from './ws-frame.js';

/**
 * One server → client event, encoded at most once per transport however many sockets receive it. `/ws` reads
 * `{type, event, data}` (seed 001 switches on `type`, seed 003 on `event`); socket.io reads its own EVENT
 * packet. Both embed the same `data` JSON, which is serialized once.
 */
export class OutFrame {
  private json: string | undefined;
  private wsFrame: Buffer | undefined;
  private sioPacket: string | undefined;
  private sioWsFrame: Buffer[] | undefined;

  constructor(
    readonly event: ServerEvent,
    readonly data: unknown,
  ) {}

  private dataJson(): string {
    return (this.json ??= JSON.stringify(this.data) ?? 'null');
  }

  /** The `/ws` text frame. */
  forWs(): Buffer {
    const name = JSON.stringify(this.event);
    return (this.wsFrame ??= Buffer.from(`{"type":${name},"event":${name},"data":${this.dataJson()}}`));
  }

  /**
   * The socket.io EVENT packet for the main namespace (protocol v5: type `2`, then the JSON array
   * `[name, data]`), written straight to the Engine.IO connection so a fan-out to thousands of socket.io
   * clients serializes once, as `/ws` does, instead of once per `socket.emit`.
   */
  forSocketIo(): string {
    return (this.sioPacket ??= `2[${JSON.stringify(this.event)},${this.dataJson()}]`);
  }

  /** That packet as Engine.IO's websocket transport frames it (message type `4` in front), framed once. */
  forSocketIoWebSocket(): Buffer[] {
    return (this.sioWsFrame ??= preEncodedTextFrame(`4${this.forSocketIo()}`));
  }
}

export function encode(event: ServerEvent, data: unknown): OutFrame {
  return new OutFrame(event, data);
}

export function errorFrame(code: string, error: string, details?: unknown): OutFrame {
  const data: Record<string, unknown> = { error, code, timestamp: new Date().toISOString() };
  if (details !== undefined) data.details = details;
  return encode('error', data);
}

/** What a role may do on the socket (seed 003's `permissions`). */
export function permissionsFor(role: string): string[] {
  const base = ['receive_notifications', 'receive_quota_updates'];
  if (role === 'station') return [...base, 'sync'];
  // A viewer watches; it neither syncs nor sends.
  if (role === 'viewer') return [...base, 'view_presence'];
  if (role === 'operator') return [...base, 'sync', 'view_presence'];
  return [...base, 'sync', 'view_presence', 'send_notifications', 'admin', 'debug_mode'];
}
