import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a receiver got: raw body and headers, exactly as sent. */
export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

export type Mode = 'ok' | 'fail' | 'hang' | { slowMs: number };

/**
 * A real HTTP receiver on loopback. `hang` accepts and never answers (the dispatcher's timeout ends it); `slow`
 * answers 200 after a delay; `fail` answers 500. Not a test file itself.
 */
export class Receiver {
  readonly got: Received[] = [];
  /** Requests received and not answered yet. */
  readonly open = new Set<ServerResponse>();
  private waiters: (() => void)[] = [];
  private constructor(
    private readonly server: Server,
    public mode: Mode,
  ) {}

  static async start(mode: Mode): Promise<Receiver> {
    const holder: { self?: Receiver } = {};
    const server = createServer((req, res) => holder.self!.handle(req, res));
    const self = (holder.self = new Receiver(server, mode));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Resolves once `n` requests arrived. */
  async received(n: number): Promise<void> {
    while (this.got.length < n) await new Promise<void>((r) => this.waiters.push(r));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      for (const w of this.waiters.splice(0)) w();
      const m = this.mode;
      if (m === 'hang') {
        this.open.add(res);
        res.on('close', () => this.open.delete(res));
        return;
      }
      if (m === 'ok') return void res.end('ok');
      if (m === 'fail') return void res.writeHead(500).end('nope');
      setTimeout(() => res.end('slow ok'), m.slowMs);
    });
  }

  async close(): Promise<void> {
    for (const r of this.open) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
