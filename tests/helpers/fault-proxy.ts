import net from 'node:net';

export interface FaultOptions {
  /** Probability per new connection that it is reset (RST) right after the client's first bytes arrive. */
  resetOnRequest?: number;
  /** Probability per new connection that the server's answer is cut: the request goes through, the reply is dropped and the socket reset. */
  resetOnResponse?: number;
  /** Probability per new connection that it is black-holed: bytes accepted, nothing forwarded, never closed by us. */
  blackhole?: number;
  /** Max extra delay (ms) applied to each chunk, uniformly random. */
  maxDelayMs?: number;
  random?: () => number;
}

export interface FaultStats {
  connections: number;
  resetsOnRequest: number;
  resetsOnResponse: number;
  blackholes: number;
}

/**
 * A TCP proxy on loopback that forwards to `target` and injects faults per connection: resets before or after the
 * server has seen the request (the latter is the interesting one: the server applied the ops but the client never
 * hears it), black holes, and random per-chunk delays. Also useful as a stable address in front of a server that
 * restarts on a new port (`setTarget`), and to cut every connection at once (`cutAll`).
 */
export class FaultProxy {
  readonly stats: FaultStats = { connections: 0, resetsOnRequest: 0, resetsOnResponse: 0, blackholes: 0 };
  private server = net.createServer((c) => this.handle(c));
  private sockets = new Set<net.Socket>();
  private _port = 0;

  constructor(
    private target: { host: string; port: number },
    public faults: FaultOptions = {},
  ) {}

  static async start(targetUrl: string, faults: FaultOptions = {}): Promise<FaultProxy> {
    const u = new URL(targetUrl);
    const p = new FaultProxy({ host: u.hostname, port: Number(u.port) }, faults);
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p._port = (p.server.address() as net.AddressInfo).port;
    return p;
  }

  get port(): number {
    return this._port;
  }

  get url(): string {
    return `http://127.0.0.1:${this._port}`;
  }

  setTarget(targetUrl: string): void {
    const u = new URL(targetUrl);
    this.target = { host: u.hostname, port: Number(u.port) };
  }

  /** Resets every open connection (both sides). */
  cutAll(): void {
    for (const s of this.sockets) s.resetAndDestroy();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
  }

  /** Rolls the dice for one client write (with keep-alive, one write is usually one request). */
  private roll(): 'ok' | 'reset-req' | 'reset-res' | 'blackhole' {
    const f = this.faults;
    const roll = (f.random ?? Math.random)();
    let edge = 0;
    for (const [m, p] of [
      ['reset-req', f.resetOnRequest ?? 0],
      ['reset-res', f.resetOnResponse ?? 0],
      ['blackhole', f.blackhole ?? 0],
    ] as const) {
      edge += p;
      if (roll < edge) return m;
    }
    return 'ok';
  }

  private handle(client: net.Socket): void {
    this.track(client);
    this.stats.connections++;
    const f = this.faults;
    const rnd = f.random ?? Math.random;
    const upstream = net.connect(this.target.port, this.target.host);
    this.track(upstream);
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    let cutResponse = false;
    let holed = false;
    const kill = (): void => {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    upstream.on('error', kill);
    upstream.on('close', () => {
      if (!holed) client.end();
    });
    client.on('close', () => upstream.destroy());
    // Chunks keep their order even with delays: each waits for the previous one's timer.
    let chain: Promise<void> = Promise.resolve();
    const forward = (to: net.Socket, chunk: Buffer): void => {
      const ms = f.maxDelayMs ? Math.floor(rnd() * f.maxDelayMs) : 0;
      chain = chain.then(
        () =>
          new Promise<void>((resolve) => {
            const go = (): void => {
              if (!to.destroyed && !holed) to.write(chunk);
              resolve();
            };
            if (ms > 0) setTimeout(go, ms);
            else go();
          }),
      );
    };
    client.on('data', (chunk: Buffer) => {
      if (holed) return;
      const mode = this.roll();
      if (mode === 'reset-req') {
        this.stats.resetsOnRequest++;
        kill();
        return;
      }
      if (mode === 'blackhole') {
        // Accept and swallow everything from now on; only the client's timeout ends this connection.
        this.stats.blackholes++;
        holed = true;
        upstream.destroy();
        return;
      }
      if (mode === 'reset-res') cutResponse = true;
      forward(upstream, chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cutResponse) {
        // The server has processed the request; the client never learns the answer.
        this.stats.resetsOnResponse++;
        kill();
        return;
      }
      forward(client, chunk);
    });
    client.on('end', () => {
      void chain.then(() => upstream.end());
    });
  }
}
