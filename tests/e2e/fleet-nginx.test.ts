/**
 * The fleet end to end: one fresh PostgreSQL database, three real server instances (the `npm run server`
 * entry point as child processes, each with its own data dir, OUTPOST_TRUST_PROXY=1) and a private nginx in
 * front of them running the shipped example config (docs/nginx/outpost-fleet.conf). Everything the single
 * process promises must hold across instances, through a real load balancer, while instances die with SIGKILL.
 *
 * Skips with a message when nginx or PostgreSQL is missing, except under CI=true, where that is a failure.
 * The chaos phase lasts OUTPOST_FLEET_CHAOS_S seconds (default 120 under CI=true, 20 otherwise).
 */
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type TestResponse } from '../helpers/server.js';
import { createTestDatabase, withPg, type TestDatabase } from '../helpers/pg.js';
import {
  FLEET_API_KEY,
  fleetEnv,
  FleetInstance,
  fleetSkipReason,
  pollUntil,
  startNginx,
  type Nginx,
} from './lib/fleet.js';
import { Station, type PushedBatch } from './lib/fleet-station.js';

const skip = await fleetSkipReason();
const CHAOS_S = Number(process.env.OUTPOST_FLEET_CHAOS_S ?? (process.env.CI === 'true' ? 120 : 20));
/** Time between two kills (each kill is followed at once by a restart of the same instance on its port). */
const KILL_EVERY_MS = Number(process.env.OUTPOST_FLEET_KILL_EVERY_MS ?? 4000);

const admin = { 'x-api-key': FLEET_API_KEY };
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

describe.skipIf(skip !== null)('a fleet of three instances behind nginx on one PostgreSQL database', () => {
  let work: string;
  let db: TestDatabase;
  let nginx: Nginx;
  const instances: FleetInstance[] = [];
  const lb = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    request(nginx.url, method, path, body, headers);
  const on = (
    i: FleetInstance,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => request(i.url, method, path, body, headers);

  async function newDevice(
    via: (m: string, p: string, b?: unknown, h?: Record<string, string>) => Promise<TestResponse>,
  ) {
    const d = await via('POST', '/api/admin/devices', {}, admin);
    expect(d.status, d.text).toBe(200);
    return { key: d.body.device_key as string, token: d.body.token_code as string };
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'outpost-fleet-'));
    db = await createTestDatabase();
    const env = {
      ...fleetEnv(db.url),
    };
    for (const name of ['a', 'b', 'c']) instances.push(new FleetInstance(name, join(work, name), env));
    // Started together: the migrations' advisory lock and the keys' INSERT … ON CONFLICT take the race.
    await Promise.all(instances.map((i) => i.start()));
    nginx = await startNginx(
      join(work, 'nginx'),
      instances.map((i) => i.port),
    );
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(instances.map((i) => i.stop()));
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('registers on one instance and heartbeats on the others at once, directly and through nginx', async () => {
    const [a, b, c] = instances as [FleetInstance, FleetInstance, FleetInstance];
    const d = await newDevice((...args) => on(a, ...args));
    const reg = await on(a, 'POST', `/api/devices/${d.key}/register`, { token_code: d.token });
    expect(reg.status, reg.text).toBe(200);
    const secret = reg.body.device_secret as string;
    // No waiting: B and C never saw this device, and the first heartbeat on each must pass.
    for (const other of [b, c]) {
      const hb = await on(other, 'POST', `/api/devices/${d.key}/online`, {}, bearer(secret));
      expect(hb.status, `${other.name}: ${hb.text}`).toBe(200);
    }
    // Through nginx: register (lands on any instance), then heartbeat on every instance in turn.
    const d2 = await newDevice(lb);
    const reg2 = await lb('POST', `/api/devices/${d2.key}/register`, { token_code: d2.token });
    expect(reg2.status, reg2.text).toBe(200);
    for (let n = 0; n < 6; n++) {
      const hb = await lb(
        'POST',
        `/api/devices/${d2.key}/online`,
        {},
        bearer(reg2.body.device_secret as string),
      );
      expect(hb.status, hb.text).toBe(200);
    }
    for (const i of instances) {
      const hb = await on(
        i,
        'POST',
        `/api/devices/${d2.key}/online`,
        {},
        bearer(reg2.body.device_secret as string),
      );
      expect(hb.status, `${i.name}: ${hb.text}`).toBe(200);
    }
  });

  it("sees the client's address through nginx, and a client cannot choose it with its own X-Forwarded-For", async () => {
    const d = await newDevice(lb);
    // From 127.0.0.2 (a loopback address other than nginx's own upstream side), claiming to be 203.0.113.9.
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const body = JSON.stringify({ token_code: d.token });
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: nginx.port,
          localAddress: '127.0.0.2',
          method: 'POST',
          path: `/api/devices/${d.key}/register`,
          headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
        },
        (r) => {
          let text = '';
          r.on('data', (c: Buffer) => (text += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(res.status, res.body).toBe(200);
    const seen = await lb('GET', `/api/admin/devices/${d.key}`, undefined, admin);
    expect(seen.status, seen.text).toBe(200);
    expect((seen.body.data as { ip_address: string | null }).ip_address).toBe('127.0.0.2');
  });

  it('1,000 racing redemptions of 50 one-time tokens across the instances: each token burns exactly once', async () => {
    const DEVICES = 50;
    const ATTEMPTS = 20;
    const devices = await Promise.all(Array.from({ length: DEVICES }, () => newDevice(lb)));
    const targets = [nginx.url, ...instances.map((i) => i.url)];
    const attempts = devices.flatMap((d, di) =>
      Array.from({ length: ATTEMPTS }, (_, j) =>
        request(targets[(di + j) % targets.length]!, 'POST', `/api/devices/${d.key}/register`, {
          token_code: d.token,
        }).then((r) => ({ di, r })),
      ),
    );
    const answers = await Promise.all(attempts);
    expect(answers).toHaveLength(DEVICES * ATTEMPTS);
    const statuses = new Map<string, number>();
    for (const { r } of answers) {
      const k = `${r.status} ${r.body?.code ?? ''}`.trim();
      statuses.set(k, (statuses.get(k) ?? 0) + 1);
    }
    // Exactly one winner per token; every loser is told the token is used (never a 5xx, never a lockout:
    // the right token that was burned by a concurrent winner is not a guess).
    expect(Object.fromEntries(statuses)).toEqual({
      '200': DEVICES,
      '401 TOKEN_INVALID': DEVICES * (ATTEMPTS - 1),
    });
    const winners = new Map<number, string>();
    for (const { di, r } of answers) {
      if (r.status !== 200) continue;
      expect(winners.has(di), `device ${di} won twice`).toBe(false);
      winners.set(di, r.body.device_secret as string);
    }
    expect(winners.size).toBe(DEVICES);
    // The one secret handed out works on every instance.
    for (const [di, secret] of [...winners].slice(0, 5)) {
      for (const i of instances) {
        const hb = await on(i, 'POST', `/api/devices/${devices[di]!.key}/online`, {}, bearer(secret));
        expect(hb.status, hb.text).toBe(200);
      }
    }
  });

  it('a device revoked through nginx is refused by every instance within 1 s', async () => {
    const d = await newDevice(lb);
    const reg = await lb('POST', `/api/devices/${d.key}/register`, { token_code: d.token });
    const secret = reg.body.device_secret as string;
    // Every instance has the secret in its auth cache before the revoke.
    for (const i of instances) {
      expect((await on(i, 'POST', `/api/devices/${d.key}/online`, {}, bearer(secret))).status).toBe(200);
    }
    const revoked = await lb('DELETE', `/api/admin/devices/${d.key}`, undefined, admin);
    expect(revoked.status, revoked.text).toBe(200);
    const deadline = Date.now() + 1000;
    const refused = await Promise.all(
      instances.map((i) =>
        pollUntil(
          () => on(i, 'POST', `/api/devices/${d.key}/online`, {}, bearer(secret)),
          (r) => r.status === 401,
          deadline,
        ),
      ),
    );
    refused.forEach(({ value, at }, n) => {
      expect(value.body?.code, `instance ${instances[n]!.name}`).toBe('DEVICE_REVOKED');
      expect(at, `instance ${instances[n]!.name} still accepted it at the deadline`).toBeLessThanOrEqual(
        deadline,
      );
    });
    const viaLb = await lb('POST', `/api/devices/${d.key}/online`, {}, bearer(secret));
    expect(viaLb.body.code).toBe('DEVICE_REVOKED');
  });

  // An acknowledged push's quota_updated must survive the answering instance dying at once: the push route
  // answers only after its events are in the `runtime_events` outbox (written by the push's own transaction on
  // PostgreSQL). Here the answering instance is frozen (SIGSTOP, the same as dying at that instant, without a
  // restart) as soon as the answer arrives, and a socket on another instance waits for the event.
  it('a quota_updated whose push was acknowledged reaches the other instances even if the answering instance dies at once', async () => {
    const [a, b] = instances as [FleetInstance, FleetInstance];
    await lb(
      'POST',
      '/api/admin/users',
      { username: 'freeze-station', password: 'station-password-1', role: 'station' },
      admin,
    );
    const login = await lb('POST', '/api/auth/login', {
      username: 'freeze-station',
      password: 'station-password-1',
      device_id: 'FREEZE-1',
    });
    expect(login.status, login.text).toBe(200);
    const c = await lb('POST', '/api/admin/clients', { name: 'freeze', quota: 1000 }, admin);
    const client = c.body.data.id as number;
    const watcher = new Station('FREEZE-1', login.body.token as string, b.url);
    await watcher.connect();
    const pusher = new Station('FREEZE-1', login.body.token as string, a.url);
    const lost: number[] = [];
    try {
      for (let n = 1; n <= 8; n++) {
        const batch = await pusher.push([client], Date.now() + 10_000);
        expect(batch?.results[0]?.status).toBe('synced');
        a.proc!.kill('SIGSTOP');
        try {
          const got = await pollUntil(
            () =>
              Promise.resolve(
                watcher.sessions
                  .at(-1)!
                  .quota.some((q) => q.client_id === client && q.remaining === 1000 - n),
              ),
            (ok) => ok,
            Date.now() + 1500,
          );
          if (!got.value) lost.push(n);
        } finally {
          a.proc!.kill('SIGCONT');
        }
      }
    } finally {
      watcher.close();
    }
    expect(lost, 'acknowledged pushes whose quota_updated never left the frozen instance').toEqual([]);
  });

  it(
    'stations push through nginx while instances are killed (SIGKILL) and restarted: nothing lost, nothing twice, quota exact, sockets follow',
    async () => {
      const STATIONS = 8;
      const OWN_QUOTA = 1_000_000;
      // The shared client runs out part-way, so concurrent pushes on different instances race for its last copies.
      const SHARED_QUOTA = Math.max(40, CHAOS_S * 2);
      const created = await lb(
        'POST',
        '/api/admin/users',
        { username: 'fleet-station', password: 'station-password-1', role: 'station' },
        admin,
      );
      expect(created.status, created.text).toBe(201);
      const shared = await lb('POST', '/api/admin/clients', { name: 'shared', quota: SHARED_QUOTA }, admin);
      expect(shared.status, shared.text).toBe(201);
      const sharedId = shared.body.data.id as number;
      const stations: { st: Station; own: number }[] = [];
      for (let s = 0; s < STATIONS; s++) {
        const deviceId = `FLEET-ST-${s}`;
        const login = await lb('POST', '/api/auth/login', {
          username: 'fleet-station',
          password: 'station-password-1',
          device_id: deviceId,
        });
        expect(login.status, login.text).toBe(200);
        const c = await lb('POST', '/api/admin/clients', { name: `own-${s}`, quota: OWN_QUOTA }, admin);
        expect(c.status, c.text).toBe(201);
        const st = new Station(deviceId, login.body.token as string, nginx.url);
        await st.connect();
        stations.push({ st, own: c.body.data.id as number });
      }

      // Chaos: every KILL_EVERY_MS one running instance (in turn) dies with SIGKILL and is started again on its
      // port at once. Start-up takes seconds here, so the next kill does not wait for it; it only waits until
      // at least two instances are up, so one always survives.
      const kills: { port: number; name: string; at: number }[] = [];
      const chaosEnd = Date.now() + CHAOS_S * 1000;
      let chaosDone = false;
      const restarts: Promise<void>[] = [];
      const chaos = (async () => {
        // At least one kill per instance, so that every station's socket is dropped at least once.
        for (let n = 0; n < instances.length || Date.now() < chaosEnd; n++) {
          const started = Date.now();
          const victim = instances[n % instances.length]!;
          const others = instances.filter((i) => i !== victim);
          await pollUntil(
            () => Promise.resolve(victim.ready && others.some((i) => i.ready)),
            (ok) => ok,
            Number.POSITIVE_INFINITY,
          );
          await victim.kill();
          kills.push({ port: victim.port, name: victim.name, at: Date.now() });
          restarts.push(victim.start());
          const wait = Math.min(started + KILL_EVERY_MS, chaosEnd) - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        await Promise.all(restarts);
        chaosDone = true;
      })();

      // Each station: a batch of 1-4 copies on its own client, now and then one on the shared client.
      const giveUpAt = chaosEnd + 60_000;
      const pushers = stations.map(async ({ st, own }, s) => {
        for (let n = 0; !chaosDone; n++) {
          const size = 1 + ((n + s) % 4);
          const clients = Array.from({ length: size }, () => own);
          if ((n + s) % 5 === 0) clients.push(sharedId);
          await st.push(clients, giveUpAt);
          // Pacing, so that two cores can also restart instances; not a wait for anything.
          await new Promise((r) => setTimeout(r, 40));
        }
      });
      await chaos;
      await Promise.all(pushers);
      const allUp = instances.every((i) => i.ready);
      expect(allUp).toBe(true);

      for (const { st } of stations) expect(st.unexpected, st.deviceId).toEqual([]);
      const batches = stations.flatMap(({ st }) => st.batches);
      const retried = batches.filter((b) => b.retried.length > 0);
      const gateway = batches.flatMap((b) => b.retried).filter((r) => r === '502').length;

      // Server copies = acknowledged copies, op id for op id, none twice.
      const copies = await withPg(
        db.url,
        async (c) =>
          (
            await c.query<{ op_uuid: string }>(
              "SELECT op_uuid FROM copies WHERE device_id LIKE 'FLEET-ST-%' OR client_id = $1",
              [sharedId],
            )
          ).rows,
      );
      const serverUuids = copies.map((c) => c.op_uuid);
      expect(new Set(serverUuids).size, 'duplicate copies on the server').toBe(serverUuids.length);
      const acked: { uuid: string; clientId: number }[] = [];
      const refused: string[] = [];
      for (const b of batches) {
        b.results.forEach((r, i) => {
          if (r.status === 'synced') acked.push(b.ops[i]!);
          else refused.push(`${b.ops[i]!.clientId}:${r.error}`);
        });
      }
      expect(new Set(serverUuids)).toEqual(new Set(acked.map((o) => o.uuid)));
      // Only the shared client may refuse, and only for its quota.
      expect(
        refused.every((r) => r === `${sharedId}:QUOTA_EXCEEDED`),
        refused.slice(0, 5).join(' '),
      ).toBe(true);

      // Quota exact and never negative.
      const clients = (await lb('GET', '/api/admin/clients', undefined, admin)).body.data as {
        id: number;
        remaining: number;
      }[];
      const remaining = (id: number) => clients.find((c) => c.id === id)!.remaining;
      for (const { own } of stations) {
        expect(remaining(own)).toBe(OWN_QUOTA - acked.filter((o) => o.clientId === own).length);
      }
      const sharedAcked = acked.filter((o) => o.clientId === sharedId).length;
      expect(remaining(sharedId)).toBe(SHARED_QUOTA - sharedAcked);
      expect(remaining(sharedId)).toBeGreaterThanOrEqual(0);
      if (refused.length > 0) expect(remaining(sharedId)).toBe(0);
      const seen = stations.flatMap(({ st }) => st.sessions.flatMap((s) => s.quota));
      expect(seen.filter((q) => q.remaining < 0)).toEqual([]);

      // Sockets. "Every quota_updated" means: for each push a station got acknowledged that newly applied
      // copies on its own client (only that station writes that client, and it pushes one batch at a time, so
      // the remaining count the event must carry is known exactly), every socket session of that station that
      // was authenticated before the acknowledged attempt was sent and was still open GRACE_MS after the
      // acknowledgement received a quota_updated with that client and that count. A session that dropped
      // within GRACE_MS (its instance was killed) is excused for that event only; the station reconnects and
      // from then on its new session is held to the same rule.
      const GRACE_MS = 3000;
      const expectations: { st: Station; batch: PushedBatch; client: number; remaining: number }[] = [];
      for (const { st, own } of stations) {
        let used = 0;
        for (const b of st.batches) {
          let fresh = 0;
          b.results.forEach((r, i) => {
            if (b.ops[i]!.clientId !== own || r.status !== 'synced') return;
            used++;
            if (!r.duplicate) fresh++;
          });
          if (fresh > 0) expectations.push({ st, batch: b, client: own, remaining: OWN_QUOTA - used });
        }
      }
      const pending = () => {
        const now = Date.now();
        const missed: string[] = [];
        let checked = 0;
        let afterReconnect = 0;
        for (const e of expectations) {
          for (const s of e.st.sessions) {
            if (s.authAt > e.batch.sentAt) continue;
            const until = e.batch.ackAt + GRACE_MS;
            if (s.closedAt !== undefined && s.closedAt < until) continue;
            const got = s.quota.some((q) => q.client_id === e.client && q.remaining === e.remaining);
            if (!got && now < until) continue; // still within its delivery bound
            checked++;
            if (s.index > 0) afterReconnect++;
            if (got) continue;
            const what = `${e.st.deviceId} session ${s.index}: remaining ${e.remaining} acked at ${new Date(e.batch.ackAt).toISOString()} by ${e.batch.upstream}`;
            missed.push(what);
          }
        }
        return { missed, checked, afterReconnect };
      };
      const settled = await pollUntil(
        () => Promise.resolve(pending()),
        (p) => p.missed.length === 0 && Date.now() > Math.max(...batches.map((b) => b.ackAt)) + GRACE_MS,
        Date.now() + GRACE_MS + 5000,
      );
      for (const { st } of stations) st.close();

      const summary = {
        chaos_s: CHAOS_S,
        kills: kills.length,
        batches: batches.length,
        copies: serverUuids.length,
        retried_batches: retried.length,
        gateway_502: gateway,
        shared_refused: refused.length,
        sessions: stations.map(({ st }) => st.sessions.length),
        quota_events_checked: settled.value.checked,
        checked_after_reconnect: settled.value.afterReconnect,
      };
      console.log(`fleet chaos: ${JSON.stringify(summary)}`);
      expect(settled.value.missed, 'quota_updated not received').toEqual([]);
      // The run must have exercised what it claims: kills, 502s retried with the same op ids, reconnects,
      // and events checked on sockets opened after a reconnect.
      expect(kills.length).toBeGreaterThanOrEqual(3);
      expect(retried.length).toBeGreaterThan(0);
      for (const { st } of stations) expect(st.sessions.length, st.deviceId).toBeGreaterThan(1);
      expect(settled.value.afterReconnect).toBeGreaterThan(0);
    },
    CHAOS_S * 1000 + 150_000,
  );
});
