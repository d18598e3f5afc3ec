import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { AgentError } from '../../src-main/agent/errors.js';
import { createMemorySecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  STATION_USER,
  clientOnServer,
  createClient,
  createStationUser,
  makeStation,
  setQuota,
  waitFor,
  type TestStation,
} from './station-helpers.js';

const JWT_A = 'station-test-jwt-secret-A-0123456789abcdef';
const JWT_B = 'station-test-jwt-secret-B-0123456789abcdef';

let srv: TestServer;
let clientId: number;
const cleanup: (() => Promise<void>)[] = [];

beforeEach(async () => {
  srv = await startTestServer({ env: { OUTPOST_JWT_SECRET: JWT_A } });
  cleanup.push(() => srv.dispose());
  clientId = await createClient(srv, 'Acme', 5);
  await createStationUser(srv);
});
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function station(url = srv.url, opts = {}): TestStation {
  const st = makeStation(url, opts);
  cleanup.push(() => st.dispose());
  return st;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AgentError);
    return (err as AgentError).code;
  }
  throw new Error('expected an AgentError');
}

describe('station against the real server', () => {
  it('login with a wrong password fails with INVALID_CREDENTIALS and stores nothing', async () => {
    const st = station();
    expect(await codeOf(st.svc.login(STATION_USER.username, 'wrong-password'))).toBe('INVALID_CREDENTIALS');
    expect(st.svc.status()).toMatchObject({ logged_in: false, login_needed: false });
    expect(st.svc.diagnostics().auth).toBe('logged_out');
  });

  it('happy path: login, pull quotas, record offline, sync pushes once and the server counts them', async () => {
    const st = station();
    const { user } = await st.svc.login(STATION_USER.username, STATION_USER.password);
    expect(user).toMatchObject({ username: STATION_USER.username, role: 'station' });
    await st.svc.syncNow();
    expect(st.svc.quotas()).toEqual([expect.objectContaining({ client_id: clientId, remaining: 5 })]);

    const copies = [st.svc.recordCopy(clientId, '04ab12cd'), st.svc.recordCopy(clientId, '04:AB:12:CE')];
    expect(copies.map((c) => c.remaining)).toEqual([4, 3]);
    const report = await st.svc.syncNow();
    expect(report).toMatchObject({ pushed: 2, synced: 2, failed: 0 });
    expect(await clientOnServer(srv, clientId)).toMatchObject({ remaining: 3, used: 2 });
    expect(st.svc.queue()).toMatchObject({ counts: { pending: 0, synced: 2, failed: 0 } });
    expect(st.svc.quotas()[0]).toMatchObject({ remaining: 3 });
    // Syncing again pushes nothing and changes nothing on the server.
    expect(await st.svc.syncNow()).toMatchObject({ pushed: 0 });
    expect(await clientOnServer(srv, clientId)).toMatchObject({ remaining: 3, used: 2 });
    expect(st.events.some((e) => e.type === 'station.sync-progress')).toBe(true);
    expect(st.svc.status()).toMatchObject({ logged_in: true, pending: 0, online: true });
  });

  it('the pull stores each client name and total; station.quotas passes them to the UI (not "Client #1")', async () => {
    const st = station();
    await st.svc.login(STATION_USER.username, STATION_USER.password);
    await st.svc.syncNow();
    expect(st.svc.quotas()).toEqual([
      expect.objectContaining({ client_id: clientId, name: 'Acme', remaining: 5, total: 5 }),
    ]);
    // Copies lower remaining, not total; a top-up on the server raises total with the next pull.
    st.svc.recordCopy(clientId, '04ab12cd');
    await st.svc.syncNow();
    await setQuota(srv, clientId, { add: 10 });
    await st.svc.syncNow();
    expect(st.svc.quotas()[0]).toMatchObject({ name: 'Acme', remaining: 14, total: 15 });
    expect(st.svc.quotas()).toEqual([
      { client_id: clientId, name: 'Acme', remaining: 14, total: 15, updated_at: expect.any(String) },
    ]);
  });

  it('a copy the server refuses (quota cut to 1 meanwhile) gives its quota back and stays until dismissed; retry re-queues it', async () => {
    const st = station();
    await st.svc.login(STATION_USER.username, STATION_USER.password);
    await st.svc.syncNow();
    await setQuota(srv, clientId, { quota: 1 });
    const [a, b, c] = [0, 1, 2].map((i) => st.svc.recordCopy(clientId, `04AB12C${i}`));
    const report = await st.svc.syncNow();
    expect(report).toMatchObject({ synced: 1, failed: 2 });
    const q = st.svc.queue();
    expect(q).toMatchObject({ counts: { pending: 0, synced: 1, failed: 2 } });
    expect(q.failed.map((i) => [i.uuid, i.error])).toEqual([
      [b!.uuid, 'QUOTA_EXCEEDED'],
      [c!.uuid, 'QUOTA_EXCEEDED'],
    ]);
    expect(a!.uuid).not.toBe(b!.uuid);
    expect(st.svc.quotas()[0]).toMatchObject({ remaining: 0 });
    // Failed ops stay through further syncs until the operator acts.
    await st.svc.syncNow();
    expect(st.svc.queue().counts.failed).toBe(2);
    st.svc.dismiss(c!.uuid);
    expect(st.svc.queue().failed.map((i) => i.uuid)).toEqual([b!.uuid]);
    // Retry without quota is refused; after the admin adds quota it goes through under a new uuid.
    expect(await codeOf(Promise.resolve().then(() => st.svc.retry(b!.uuid)))).toBe('QUOTA_EXCEEDED');
    await setQuota(srv, clientId, { add: 2 });
    await st.svc.syncNow();
    const { uuid } = st.svc.retry(b!.uuid);
    expect(uuid).not.toBe(b!.uuid);
    expect(await st.svc.syncNow()).toMatchObject({ synced: 1, failed: 0 });
    expect(await clientOnServer(srv, clientId)).toMatchObject({ remaining: 1, used: 2 });
    expect(st.svc.queue()).toMatchObject({ counts: { pending: 0, failed: 0 } });
  });

  it('a 401 (server now signs with another key) means "login needed"; the queue keeps filling and drains after login', async () => {
    const st = station();
    await st.svc.login(STATION_USER.username, STATION_USER.password);
    await st.svc.syncNow();
    await srv.dispose({ keepData: true });
    srv = await startTestServer({ dataDir: srv.dataDir, env: { OUTPOST_JWT_SECRET: JWT_B } });
    cleanup.push(() => srv.dispose());
    st.url.current = srv.url;
    st.svc.recordCopy(clientId, '04AB12CD');
    expect(await codeOf(st.svc.syncNow())).toBe('LOGIN_REQUIRED');
    expect(st.svc.status()).toMatchObject({ login_needed: true, logged_in: false, pending: 1 });
    // Still recording while logged out, and a sync attempt does not lose anything.
    st.svc.recordCopy(clientId, '04AB12CE');
    expect(await codeOf(st.svc.syncNow())).toBe('LOGIN_REQUIRED');
    expect(st.svc.queue().counts.pending).toBe(2);
    await st.svc.login(STATION_USER.username, STATION_USER.password);
    expect(await st.svc.syncNow()).toMatchObject({ synced: 2 });
    expect(await clientOnServer(srv, clientId)).toMatchObject({ used: 2, remaining: 3 });
  });

  it('offline: recordCopy works with the server down, sync reports NETWORK_ERROR and loses nothing', async () => {
    const st = station();
    await st.svc.login(STATION_USER.username, STATION_USER.password);
    await st.svc.syncNow();
    await srv.dispose({ keepData: true });
    st.svc.recordCopy(clientId, '04AB12CD');
    expect(await codeOf(st.svc.syncNow())).toBe('NETWORK_ERROR');
    expect(st.svc.status()).toMatchObject({ online: false, pending: 1 });
    srv = await startTestServer({ dataDir: srv.dataDir, env: { OUTPOST_JWT_SECRET: JWT_A } });
    cleanup.push(() => srv.dispose());
    st.url.current = srv.url; // a new port: the station follows its profile's URL

    expect(await st.svc.syncNow()).toMatchObject({ synced: 1 });
    expect(st.svc.status()).toMatchObject({ online: true, pending: 0 });
  });

  it('realtime: connects with token+device_id, surfaces quota_updated, reconnects after a server restart', async () => {
    const proxy = await FaultProxy.start(srv.url);
    cleanup.push(() => proxy.close());
    const st = station(proxy.url, { realtime: true, wsBackoff: { baseMs: 100, capMs: 1_000 } });
    await st.svc.login(STATION_USER.username, STATION_USER.password);
    await st.svc.start();
    await waitFor(() => st.svc.diagnostics().realtime_connected, 'socket open');
    await setQuota(srv, clientId, { quota: 7 });
    await waitFor(
      () => st.events.find((e) => e.type === 'realtime' && e.data.event === 'quota_updated'),
      'quota_updated event',
    );
    await waitFor(() => st.svc.quotas()[0]?.remaining === 7, 'local quota follows the event');

    await srv.dispose({ keepData: true });
    await waitFor(() => !st.svc.diagnostics().realtime_connected, 'socket closed');
    srv = await startTestServer({ dataDir: srv.dataDir, env: { OUTPOST_JWT_SECRET: JWT_A } });
    cleanup.push(() => srv.dispose());
    proxy.setTarget(srv.url);
    await waitFor(() => st.svc.diagnostics().realtime_connected, 'socket reopened after restart');
    const before = st.events.length;
    await setQuota(srv, clientId, { quota: 9 });
    await waitFor(
      () => st.events.slice(before).find((e) => e.type === 'realtime' && e.data.event === 'quota_updated'),
      'quota_updated after reconnect',
    );
  });

  it('two syncNow calls at once share one run (the second joins the first): each op is pushed once', async () => {
    const st = station();
    await st.svc.login(STATION_USER.username, STATION_USER.password);
    await st.svc.syncNow();
    for (let i = 0; i < 3; i++) st.svc.recordCopy(clientId, `04AB12C${i}`);
    const [a, b] = await Promise.all([st.svc.syncNow(), st.svc.syncNow()]);
    expect(a).toBe(b);
    expect(a).toMatchObject({ pushed: 3, synced: 3 });
    expect(await clientOnServer(srv, clientId)).toMatchObject({ used: 3 });
  });

  it('connectivity restored (health check) triggers a sync by itself', async () => {
    const st = station(srv.url, { healthIntervalMs: 100, syncIntervalMs: 3_600_000 });
    await st.svc.login(STATION_USER.username, STATION_USER.password);
    await st.svc.syncNow();
    st.url.current = 'http://127.0.0.1:9'; // the network goes away
    await st.svc.start();
    await waitFor(() => !st.svc.status().online, 'offline detected');
    st.svc.recordCopy(clientId, '04AB12CD');
    st.url.current = srv.url; // and comes back
    await waitFor(() => st.svc.queue().counts.synced === 1, 'automatic sync after reconnect');
    expect(await clientOnServer(srv, clientId)).toMatchObject({ used: 1 });
  });

  it('a token with less than 24 h left is refreshed before use and the new one is stored', async () => {
    await srv.dispose({ keepData: true });
    srv = await startTestServer({
      dataDir: srv.dataDir,
      env: { OUTPOST_JWT_SECRET: JWT_A, OUTPOST_JWT_EXPIRES_SEC: '3600' },
    });
    cleanup.push(() => srv.dispose());
    const secrets = createMemorySecretStore();
    const st = station(srv.url, { secrets });
    await st.svc.login(STATION_USER.username, STATION_USER.password);
    const first = await secrets.get('jwt');
    // JWT times are in seconds: wait into the next second so the refreshed token differs.
    await new Promise((r) => setTimeout(r, 1_100));
    await st.svc.syncNow();
    const second = await secrets.get('jwt');
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
    expect(decodeJwt(second!).exp! > decodeJwt(first!).exp!).toBe(true);
    expect(st.svc.status()).toMatchObject({ logged_in: true });
  });
});
