/**
 * Child process for `bench/fanout.ts`: opens station sockets (`/ws?token&device_id`, tokens signed with the
 * fleet's JWT secret) on one instance and, for every `notification` frame, stamps its arrival and records which
 * sequence number it carried, so the parent can compute delivery latency (arrival − the sender's stamp, same
 * machine clock) and find any event a socket never received.
 */
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';

interface Connect {
  cmd: 'connect';
  url: string;
  count: number;
  userId: number;
  username: string;
  secret: string;
}

const now = () => performance.timeOrigin + performance.now();
const sockets: WebSocket[] = [];
/** Per socket: how many times each sequence number arrived. */
let seen: Map<number, number>[] = [];
/** Arrival − the sender's stamp (request sent), and arrival − the notification's timestamp (raised on A). */
let latencies: number[] = [];
let raised: number[] = [];
let phase = '';
const byPhase = new Map<string, { sent: number[]; raised: number[] }>();

async function openOne(url: string, token: string, deviceId: string, index: number): Promise<void> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?token=${token}&device_id=${deviceId}`, {
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (raw: Buffer) => {
      if (raw.includes('"authenticated"')) {
        ws.off('message', onMessage);
        resolve();
      }
    };
    ws.on('message', onMessage);
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed ${code} before authenticated`)));
  });
  ws.removeAllListeners('error');
  ws.on('error', () => undefined);
  ws.on('message', (raw: Buffer) => {
    const at = now();
    if (!raw.includes('"notification"')) return;
    const msg = JSON.parse(raw.toString()) as {
      event: string;
      data: { timestamp: string; data?: { seq?: number; t?: number } };
    };
    const d = msg.data.data;
    if (msg.event !== 'notification' || typeof d?.seq !== 'number' || typeof d.t !== 'number') return;
    const m = seen[index]!;
    m.set(d.seq, (m.get(d.seq) ?? 0) + 1);
    latencies.push(at - d.t);
    raised.push(at - Date.parse(msg.data.timestamp));
  });
  sockets.push(ws);
}

async function connect(m: Connect): Promise<void> {
  const secret = new TextEncoder().encode(m.secret);
  seen = Array.from({ length: m.count }, () => new Map());
  for (let i = 0; i < m.count; i++) {
    const device = `bench-fanout-${i}`;
    const token = await new SignJWT({ username: m.username, role: 'station', device_id: device })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(m.userId))
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(secret);
    await openOne(m.url, token, device, i);
  }
  process.send!({ type: 'connected', open: sockets.length });
}

process.on('message', (m: { cmd: string } & Record<string, unknown>) => {
  if (m.cmd === 'connect') {
    connect(m as unknown as Connect).catch((err: unknown) =>
      process.send!({ type: 'fatal', error: String(err) }),
    );
  } else if (m.cmd === 'phase') {
    // Latencies so far belong to the phase that just ended.
    if (phase) byPhase.set(phase, { sent: latencies, raised });
    latencies = [];
    raised = [];
    phase = m.name as string;
    process.send!({ type: 'phase' });
  } else if (m.cmd === 'collect') {
    // Waits until every socket holds every sequence number below `expected`, or the deadline.
    const expected = m.expected as number;
    const deadline = Date.now() + (m.timeoutMs as number);
    const poll = () => {
      const complete = seen.every((s) => s.size >= expected);
      if (!complete && Date.now() < deadline) return void setTimeout(poll, 20);
      if (phase) byPhase.set(phase, { sent: latencies, raised });
      latencies = [];
      raised = [];
      const missing: number[] = [];
      let duplicates = 0;
      for (let seq = 0; seq < expected; seq++) {
        for (const s of seen) {
          const c = s.get(seq) ?? 0;
          if (c === 0) missing.push(seq);
          if (c > 1) duplicates += c - 1;
        }
      }
      process.send!({
        type: 'collected',
        phases: Object.fromEntries(byPhase),
        missing: missing.slice(0, 1000),
        missing_count: missing.length,
        duplicates,
      });
    };
    poll();
  } else if (m.cmd === 'stop') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
