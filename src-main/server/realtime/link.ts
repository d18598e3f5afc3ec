import { WebSocket } from 'ws';
import type { OutFrame } from './messages.js';

/** The transports a realtime socket can arrive on; `/metrics` labels connection counts with it. */
export type RealtimeTransport = 'ws' | 'socketio';

/**
 * One client connection as the session logic sees it, whichever transport carries it. Limits, rooms,
 * presence and delivery are written once against this, so `/ws` and socket.io clients share them.
 */
export interface Link {
  readonly transport: RealtimeTransport;
  isOpen(): boolean;
  /** Bytes handed to this link that the peer has not taken yet (the slow-consumer bound is checked on it). */
  buffered(): number;
  send(frame: OutFrame): void;
  /** A deliberate close the client should act on (limit, revocation, auth timeout, shutdown). */
  close(code: number, reason: string): void;
  /** Drop the connection now, no goodbye. */
  terminate(): void;
  onClose(fn: () => void): void;
}

const SEND_OPTS = { binary: false, compress: false, fin: true } as const;

/** A plain `/ws` socket. Liveness is the registry's protocol pings (`alive` is set on pong). */
export class WsLink implements Link {
  readonly transport = 'ws' as const;
  constructor(readonly ws: WebSocket) {}
  isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
  buffered(): number {
    return this.ws.bufferedAmount;
  }
  send(frame: OutFrame): void {
    this.ws.send(frame.forWs(), SEND_OPTS);
  }
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
    // A peer that never completes the closing handshake must not hold the descriptor.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }
  terminate(): void {
    this.ws.terminate();
  }
  onClose(fn: () => void): void {
    this.ws.on('close', fn);
  }
}
