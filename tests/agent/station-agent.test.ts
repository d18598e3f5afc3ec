import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../src-main/agent/agent.js';
import { createMemorySecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { nfcSecretPath } from '../../src-main/agent/station/nfc-endpoint.js';
import { startTestServer } from '../helpers/server.js';
import { STATION_USER, clientOnServer, createClient, createStationUser, waitFor } from './station-helpers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('agent.station through createAgent', () => {
  it('is wired: login, NFC endpoint on loopback (OUTPOST_NFC_PORT), realtime, sync on its own after a copy', async () => {
    const srv = await startTestServer();
    cleanup.push(() => srv.dispose());
    const clientId = await createClient(srv, 'AgentCo', 5);
    await createStationUser(srv);
    const dataDir = mkdtempSync(join(tmpdir(), 'outpost-agent-station-'));
    cleanup.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const agent: Agent = await createAgent({
      dataDir,
      serverUrl: srv.url,
      secrets: createMemorySecretStore(),
      logging: false,
      env: { ...process.env, OUTPOST_NFC_PORT: '0' },
    });
    cleanup.push(() => agent.stop());
    await agent.start();
    await agent.station.login(STATION_USER.username, STATION_USER.password);
    await waitFor(() => agent.station.diagnostics().realtime_connected, 'realtime socket');
    await waitFor(() => agent.station.quotas().length === 1, 'quotas pulled after login');

    const port = agent.station.diagnostics().nfc_port!;
    const res = await fetch(`http://127.0.0.1:${port}/nfc/copy`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-nfc-secret': readFileSync(nfcSecretPath(dataDir), 'utf8').trim(),
      },
      body: JSON.stringify({ client_id: clientId, uid: '04AB12CD' }),
    });
    expect(res.status).toBe(200);
    // No explicit sync: the server's quota_updated after someone else's change, or the 60 s timer, would do it;
    // here the admin tops the quota up and the realtime event triggers the sync that pushes our copy.
    await fetch(`${srv.url}/api/admin/clients/${clientId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-api-key': srv.apiKey },
      body: JSON.stringify({ add: 1 }),
    });
    await waitFor(
      () => agent.station.queue().counts.synced === 1,
      'copy synced by the quota_updated trigger',
    );
    expect(await clientOnServer(srv, clientId)).toMatchObject({ used: 1, remaining: 5 });
    await waitFor(() => agent.station.quotas()[0]?.remaining === 5, 'local quota reconciled');
  });
});
