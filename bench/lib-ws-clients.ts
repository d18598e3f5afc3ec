/**
 * Child process for `bench/ws.ts`: opens seed-001 style sockets (`/ws?token&device_id`) or socket.io sockets
 * (`/socket.io/`, websocket transport, handshake `auth.token`) with tokens it signs itself (the bench shares the
 * server's JWT secret; logging in 10,000 times would only benchmark scrypt), and stamps the arrival time of
 * every `quota_updated` frame before parsing anything.
 *
 * The socket.io sockets speak the Engine.IO v4 / socket.io v5 wire protocol directly on a `ws` client (open,
 * namespace CONNECT with the auth payload, pong to the server's pings) instead of running socket.io-client, so
 * both transports cost the client the same (a byte search per frame) and the figures compare the servers.
 */
import { SignJWT } from 'jose';
import { WebSocket } from 'ws';

interface Connect {
  cmd: 'connect';
  url: string;
  from: number;
  count: number;
  userId: number;
  username: string;
  secret: string;
  tag: string;
  transport: 'ws' | 'socketio';
}

const sockets: WebSocket[] = [];
let arrivals: number[] = [];
const MARK = Buffer.from('"quota_updated"');
const now = () => performance.timeOrigin + performance.now();

async function openOne(url: string, token: string, deviceId: string): Promise<void> {
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
  ws.removeAllListeners('close');
  ws.on('error', () => undefined);
  ws.on('message', (raw: Buffer) => {
    if (raw.includes(MARK)) arrivals.push(now());
  });
  sockets.push(ws);
}

/** A socket.io client on the websocket transport, authenticated by the handshake token. */
async function openSocketIo(url: string, token: string): Promise<void> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, {
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (raw: Buffer) => {
      const type = raw[0];
      // Engine.IO `0` = open: join the main namespace with the auth payload (socket.io `0` = CONNECT).
      if (type === 0x30) ws.send(`40${JSON.stringify({ token })}`);
      else if (type === 0x32) ws.send('3');
      else if (raw.includes('"authenticated"')) {
        ws.off('message', onMessage);
        resolve();
      } else if (raw.includes('"error"') || raw[1] === 0x34) reject(new Error(raw.toString()));
    };
    ws.on('message', onMessage);
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed ${code} before authenticated`)));
  });
  ws.removeAllListeners('error');
  ws.removeAllListeners('close');
  ws.on('error', () => undefined);
  ws.on('message', (raw: Buffer) => {
    // Engine.IO ping (`2`): answer it or the server drops the socket after pingTimeout.
    if (raw.length === 1 && raw[0] === 0x32) ws.send('3');
    else if (raw.includes(MARK)) arrivals.push(now());
  });
  sockets.push(ws);
}

async function connect(m: Connect): Promise<void> {
  const secret = new TextEncoder().encode(m.secret);
  const tokens: { token: string; device: string }[] = [];
  for (let i = m.from; i < m.from + m.count; i++) {
    const device = `bench-${m.tag}-${i}`;
    const token = await new SignJWT({ username: m.username, role: 'station', device_id: device })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(m.userId))
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(secret);
    tokens.push({ token, device });
  }
  // A bounded number of handshakes in flight: a thundering herd would measure the kernel's backlog, not us.
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < tokens.length) {
      const t = tokens[next++]!;
      try {
        if (m.transport === 'socketio') await openSocketIo(m.url, t.token);
        else await openOne(m.url, t.token, t.device);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  process.send!({ type: 'connected', open: sockets.length, failed });
}

process.on('message', (m: { cmd: string } & Record<string, unknown>) => {
  if (m.cmd === 'connect') {
    connect(m as unknown as Connect).catch((err: unknown) =>
      process.send!({ type: 'fatal', error: String(err) }),
    );
  } else if (m.cmd === 'reset') {
    arrivals = [];
    process.send!({ type: 'reset' });
  } else if (m.cmd === 'collect') {
    const expected = m.expected as number;
    const deadline = Date.now() + (m.timeoutMs as number);
    const poll = () => {
      if (arrivals.length >= expected || Date.now() > deadline) {
        process.send!({ type: 'arrivals', arrivals });
      } else setTimeout(poll, 5);
    };
    poll();
  } else if (m.cmd === 'stop') {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
