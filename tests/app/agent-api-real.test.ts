/**
 * The adapter over the real agent (createAgent: device, station, license services) against the real server:
 * every channel the UI reads answers in its schema after a registration and a station login, and no answer
 * holds the device secret or the JWT.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL_NAMES } from '../../src-shared/ipc/channels.js';
import { createAgent, type Agent } from '../../src-main/agent/agent.js';
import { createAgentApi, type AgentApi } from '../../src-main/agent/api.js';
import { createMemorySecretStore, SECRET_ACCOUNTS } from '../../src-main/agent/secrets/secret-store.js';
import { startTestServer, TEST_ADMIN, type TestServer } from '../helpers/server.js';

describe('agent API adapter over the real agent and server', () => {
  let srv: TestServer;
  let agent: Agent;
  let api: AgentApi;
  let dir: string;

  beforeAll(async () => {
    srv = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'outpost-api-real-'));
    agent = await createAgent({
      dataDir: dir,
      serverUrl: srv.url,
      secrets: createMemorySecretStore(),
      logging: false,
    });
    api = createAgentApi({
      agent,
      app: { name: 'Outpost', version: '0', shell: 'headless', electron: null },
    });
  });
  afterAll(async () => {
    await agent?.stop();
    await srv?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers, logs in, and then no read channel answers with a secret or outside its schema', async () => {
    const created = await srv.api(
      'POST',
      '/api/admin/devices',
      { device_key: 'api-real-1' },
      { 'x-api-key': srv.apiKey },
    );
    expect(created.status).toBe(200);
    const reg = await api.invoke('device.register', {
      token: created.body.token_code.toLowerCase(),
      device_key: 'api-real-1',
    });
    expect(reg).toMatchObject({ ok: true, value: { registered: true, device_key: 'api-real-1' } });
    const login = await api.invoke('station.login', TEST_ADMIN);
    expect(login).toMatchObject({ ok: true, value: { logged_in: true, username: TEST_ADMIN.username } });
    expect((await api.invoke('device.heartbeatNow', {})).ok).toBe(true);

    const answers: unknown[] = [reg, login];
    const reads = CHANNEL_NAMES.filter((c) => !c.startsWith('admin.') && !c.startsWith('server.'));
    for (const ch of reads.filter((c) => /\.(status|get|info|queue|quotas|ownKey|tail)$/.test(c))) {
      const r = await api.invoke(ch, {});
      expect(r.ok, `${ch}: ${JSON.stringify(r)}`).toBe(true);
      answers.push(r);
    }
    const deviceSecret = await agent.secrets.get(SECRET_ACCOUNTS.deviceSecret);
    const jwt = await agent.secrets.get(SECRET_ACCOUNTS.jwt);
    expect(deviceSecret).toBeTruthy();
    expect(jwt).toBeTruthy();
    const all = JSON.stringify(answers);
    expect(all.includes(deviceSecret!)).toBe(false);
    expect(all.includes(jwt!)).toBe(false);
  });

  it('a wrong registration token comes back as the agent error code and message, not INTERNAL_ERROR', async () => {
    await api.invoke('device.unregister', {});
    const r = await api.invoke('device.register', { token: 'ZZZ', device_key: 'api-real-2' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).not.toBe('INTERNAL_ERROR');
      expect(r.error.message.length).toBeGreaterThan(5);
    }
  });
});
