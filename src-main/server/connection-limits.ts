import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpLimits } from './config.js';

/**
 * Node's own timeouts, tightened: headers within `headersTimeoutMs` (Node's default is 60 s), the whole request,
 * body included, within `requestTimeoutMs` (Fastify's default turns this off, so a body trickled a byte every
 * few seconds held its connection, and a file descriptor, forever). Expired requests get 408 and are closed.
 * Node checks for expiry on an interval (30 s by default); checking more often than the shortest timeout keeps
 * the limits close to what they say.
 */
export function httpServerOptions(limits: HttpLimits): {
  requestTimeout: number;
  http: { headersTimeout: number; connectionsCheckingInterval: number };
} {
  const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(shortest / 4))),
    },
  };
}

/**
 * At most `max` open connections per client address (0 = unlimited). Excess connections are closed as soon as
 * they are accepted, before any byte is read, so one address cannot hold every descriptor the process has while
 * others (a load balancer's /health probe, other stations) still get through. Counts TCP peers: behind a
 * reverse proxy every connection comes from the proxy, which is why the cap is off by default there.
 */
export function capConnectionsPerIp(server: Server, max: number, onRefused: () => void = () => {}): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const ip = socket.remoteAddress ?? '';
    const n = open.get(ip) ?? 0;
    if (n >= max) {
      onRefused();
      socket.destroy();
      return;
    }
    open.set(ip, n + 1);
    socket.once('close', () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left <= 0) open.delete(ip);
      else open.set(ip, left);
    });
  });
}
