import type { Socket } from 'socket.io';
import { WS_CLOSE } from '../../../src-shared/api/realtime.js';
import type { Link } from './link.js';
import type { OutFrame } from './messages.js';

const WRITE_OPTS = { compress: false } as const;

/** Engine.IO's write options, with the pre-framed websocket message its websocket transport accepts. */
interface PreFramedOptions {
  compress: false;
  wsPreEncodedFrame: Buffer[];
}

/**
 * A socket.io client (either Engine.IO transport, before or after the upgrade). Events are written to the
 * Engine.IO connection as pre-encoded packets; Engine.IO's own heartbeat (pingInterval/pingTimeout) keeps
 * liveness, so the registry does not ping these.
 */
export class SocketIoLink implements Link {
  readonly transport = 'socketio' as const;
  /** Bytes written and not yet taken by the transport (long-polling: not yet polled; websocket: not yet sent). */
  private pending = 0;

  constructor(readonly socket: Socket) {}

  isOpen(): boolean {
    return this.socket.connected && this.socket.conn.readyState === 'open';
  }

  buffered(): number {
    return this.pending;
  }

  send(frame: OutFrame): void {
    const packet = frame.forSocketIo();
    const size = packet.length;
    this.pending += size;
    const conn = this.socket.conn;
    // On the websocket transport every recipient gets the same frame buffers; on polling the packet text.
    const opts: PreFramedOptions | typeof WRITE_OPTS =
      conn.transport.name === 'websocket'
        ? { compress: false, wsPreEncodedFrame: frame.forSocketIoWebSocket() }
        : WRITE_OPTS;
    // Engine.IO calls this once the packet left for the wire (websocket) or went out in a poll response.
    conn.write(packet, opts, () => {
      this.pending -= size;
    });
  }

  close(code: number, _reason: string): void {
    const conn = this.socket.conn;
    if (code === WS_CLOSE.GOING_AWAY) {
      // A transport close: socket.io-client reconnects by itself, as a `/ws` client does after 1001.
      conn.close();
      return;
    }
    // A server-side disconnect: socket.io-client does not reconnect on its own (limit, revocation, auth timeout).
    this.socket.disconnect(false);
    // The client normally drops the Engine.IO connection once no namespace is left; one that does not is cut.
    setTimeout(() => conn.close(true), 1000).unref();
  }

  terminate(): void {
    this.socket.conn.close(true);
  }

  onClose(fn: () => void): void {
    this.socket.on('disconnect', fn);
  }
}
