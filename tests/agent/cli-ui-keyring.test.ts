/**
 * `npm run agent -- --ui` keeps its secrets under the keyring service the other agent commands use:
 * OUTPOST_KEYRING_SERVICE, or --keyring-service (which wins). Real child process, real server, real keyring;
 * the device is registered through the web bridge, as the UI does it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_INVOKE_PATH, BRIDGE_TOKEN_HEADER } from '../../src-shared/ipc/bridge-protocol.js';
import { DEFAULT_KEYRING_SERVICE, openSecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { startAgentUi, type AgentUi } from '../e2e/lib/agent-ui.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { adminCreateDevice, clearKeyring, uniqueService } from './device-helpers.js';

let srv: TestServer;
const services: string[] = [];
const agents: AgentUi[] = [];

beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  for (const a of agents.splice(0)) await a.stop();
  for (const s of services) await clearKeyring(s);
  await srv.dispose();
});

async function invoke(ui: AgentUi, channel: string, payload: unknown): Promise<unknown> {
  const token = new URL(ui.url).searchParams.get('token')!;
  const res = await fetch(`${ui.origin}${BRIDGE_INVOKE_PATH}${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [BRIDGE_TOKEN_HEADER]: token },
    body: JSON.stringify(payload),
  });
  expect(res.status).toBe(200);
  return res.json();
}

// One tsx child per case: seconds apiece on a busy machine.
describe('npm run agent -- --ui keyring service', { timeout: 120_000 }, () => {
  it.each([
    ['from OUTPOST_KEYRING_SERVICE', 'env'],
    ['from --keyring-service (over a different OUTPOST_KEYRING_SERVICE)', 'flag'],
  ] as const)('the device secret lands in the configured service, not the default: %s', async (_n, how) => {
    const service = uniqueService(`ui-${how}`);
    const decoy = uniqueService(`ui-decoy`);
    services.push(service, decoy);
    const ui = await startAgentUi({
      serverUrl: srv.url,
      env: { OUTPOST_KEYRING_SERVICE: how === 'env' ? service : decoy },
      args: how === 'flag' ? ['--keyring-service', service] : [],
    });
    agents.push(ui);
    const { device_key, token_code } = await adminCreateDevice(srv);

    const answer = await invoke(ui, 'device.register', { token: token_code, device_key });
    expect(answer).toMatchObject({ ok: true, value: { registered: true, device_key } });

    const read = async (s: string) =>
      (await openSecretStore({ dataDir: ui.dataDir, service: s })).get('device_secret');
    const secret = await read(service);
    expect(secret).toBeTruthy();
    expect(await read(DEFAULT_KEYRING_SERVICE)).not.toBe(secret);
    expect(await read(decoy)).toBeNull();
  });
});
