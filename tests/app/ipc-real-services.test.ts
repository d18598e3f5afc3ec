/**
 * The Electron IPC handlers over the real services, end to end: ipcMain (the one fake: no Electron runtime
 * here) → registerIpc → the agent API → createAgent's device, station and license services (station.db a real
 * SQLite file, secrets in the encrypted-file store) → the real server on a loopback port. Each answer is the
 * service's own src-shared type, passed through unchanged: what the service returns is what the window gets.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IPC_EVENT_CHANNEL,
  ipcChannelName,
  type Channel,
  type ChannelOutput,
  type UiEvent,
} from '../../src-shared/ipc/channels.js';
import type { Result } from '../../src-shared/result.js';
import { createAgent, type Agent } from '../../src-main/agent/agent.js';
import { createAgentApi } from '../../src-main/agent/api.js';
import { forwardEvents, registerIpc } from '../../src-main/app/ipc-bridge.js';
import { isTrustedSender, type IpcEventLike } from '../../src-main/app/security-policy.js';
import { createClient } from '../agent/station-helpers.js';
import { FakeIpcMain } from '../helpers/fake-ipc-main.js';
import { startTestServer, TEST_ADMIN, type TestServer } from '../helpers/server.js';

const WC = 3;

describe('IPC handlers over the real services and the real server', () => {
  let srv: TestServer;
  let dir: string;
  let agent: Agent;
  const ipc = new FakeIpcMain();
  const sent: UiEvent[] = [];
  let clientId: number;
  let stop: () => void;

  let event: IpcEventLike;
  async function call<C extends Channel>(channel: C, input?: unknown): Promise<ChannelOutput<C>> {
    const r = (await ipc.call(ipcChannelName(channel), event, input ?? {})) as Result<ChannelOutput<C>>;
    if (!r.ok) throw new Error(`${channel}: ${r.error.code} ${r.error.message}`);
    return r.value;
  }

  beforeAll(async () => {
    srv = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'outpost-ipc-real-'));
    agent = await createAgent({
      dataDir: join(dir, 'data'),
      serverUrl: srv.url,
      secretsFile: true,
      logging: false,
      station: { realtime: false },
    });
    const origin = { rendererIndex: join(dir, 'renderer', 'index.html'), devServerOrigin: null };
    event = {
      sender: { id: WC },
      senderFrame: { url: pathToFileURL(origin.rendererIndex).toString(), parent: null },
    };
    const api = createAgentApi({
      agent,
      app: { name: 'Outpost', version: '0', shell: 'electron', electron: '45' },
    });
    const off = registerIpc(ipc, api, (e) => isTrustedSender(e, new Set([WC]), origin));
    const offEvents = forwardEvents(api, () => ({
      id: WC,
      isDestroyed: () => false,
      send: (channel, payload) => {
        if (channel === IPC_EVENT_CHANNEL) sent.push(payload as UiEvent);
      },
    }));
    stop = () => {
      off();
      offEvents();
    };
    clientId = await createClient(srv, 'Acme', 5);
  });
  afterAll(async () => {
    stop?.();
    await agent?.station.stop();
    await srv?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers with a pasted "ab-cd-ef"-style token: the device service answers the contract DeviceStatus', async () => {
    const created = await srv.api(
      'POST',
      '/api/admin/devices',
      { device_key: 'ipc-real-1' },
      { 'x-api-key': srv.apiKey },
    );
    const code = created.body.token_code as string;
    const pasted = `${code.slice(0, 2)}-${code.slice(2, 4)}-${code.slice(4)}`.toLowerCase();
    const status = await call('device.register', { token: pasted, device_key: ' ipc-real-1 ' });
    expect(status).toEqual(agent.device.status());
    expect(status).toMatchObject({ registered: true, device_key: 'ipc-real-1', server_url: srv.url });
    expect(await call('device.heartbeatNow')).toMatchObject({ ok: true });
    // The device secret went to the encrypted file the operator opted into, not anywhere else.
    expect(await call('app.info')).toMatchObject({ secret_backend: 'encrypted-file' });
    expect(existsSync(join(agent.dataDir, 'secrets.enc'))).toBe(true);
  });

  it('station: the queue lists the pending copies themselves, and a sync answers the SyncResult', async () => {
    const login = await call('station.login', TEST_ADMIN);
    expect(login).toMatchObject({ logged_in: true, username: TEST_ADMIN.username, server_url: srv.url });
    expect(await call('station.syncNow')).toEqual({ pushed: 0, synced: 0, failed: 0, quotas_updated: true });
    expect((await call('station.quotas')).quotas).toEqual([
      { client_id: clientId, name: 'Acme', remaining: 5, total: 5, updated_at: expect.any(String) },
    ]);

    const receipt = await call('station.recordCopy', { client_id: clientId, uid: '04:ab:12:cd' });
    expect(receipt).toEqual({ uuid: expect.any(String), client_id: clientId, uid: '04AB12CD', remaining: 4 });
    await call('station.recordCopy', { client_id: clientId, uid: '04AB12CE' });

    const queue = await call('station.queue');
    expect(queue).toEqual(agent.station.queue());
    expect(queue.counts).toEqual({ pending: 2, synced: 0, failed: 0 });
    expect(queue.pending.map((i) => [i.uid, i.status, i.client_id])).toEqual([
      ['04AB12CD', 'pending', clientId],
      ['04AB12CE', 'pending', clientId],
    ]);
    expect(queue.pending[0]!.uuid).toBe(receipt.uuid);
    // Each recorded copy reached the window as a full station status with the new count.
    expect(sent.filter((e) => e.type === 'station.status').map((e) => e.data.pending)).toEqual(
      expect.arrayContaining([1, 2]),
    );

    const result = await call('station.syncNow');
    expect(result).toEqual({ pushed: 2, synced: 2, failed: 0, quotas_updated: true });
    expect(await call('station.queue')).toEqual({
      counts: { pending: 0, synced: 2, failed: 0 },
      failed: [],
      pending: [],
    });
    const status = await call('station.status');
    expect(status).toEqual(agent.station.status());
    expect(status).toMatchObject({
      online: true,
      pending: 0,
      failed: 0,
      last_attempt: { ok: true, synced: 2, failed: 0 },
    });
    expect(status.last_sync_at).toBe(status.last_attempt!.finished_at);
    expect(
      sent.some((e) => e.type === 'station.sync-progress' && e.data.phase === 'done' && e.data.total === 2),
    ).toBe(true);
  });

  it('license: no license is the contract LicenseStatus "none" with its message', async () => {
    expect(await call('license.status')).toEqual(await agent.license.status());
    expect(await call('license.status')).toMatchObject({ state: 'none', license_key: null });
  });
});
