// @vitest-environment jsdom
import './no-xhr.js';
/**
 * Admin → devices over the real thing: a real server (child process), the agent's real AdminClient and channel
 * adapter, the page in jsdom. "For this machine" fills in the local agent's own key; every issued token stays
 * listed with a copy button until it is used or revoked; a revoked device can be issued a new token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AdminClient } from '../../src-main/agent/admin/admin-client.js';
import { createAgent, type Agent } from '../../src-main/agent/agent.js';
import { createAgentApi } from '../../src-main/agent/api.js';
import { ApiProvider } from '../../src-renderer/api/context.js';
import { AdminDevices } from '../../src-renderer/pages/admin/devices.js';
import { createApiClient } from '../../src-shared/ipc/client.js';
import type { Channel } from '../../src-shared/ipc/channels.js';
import { startChildServer, type StackServer } from './real-stack.js';

let srv: StackServer;
let agent: Agent;
let dataDir: string;

beforeAll(async () => {
  srv = await startChildServer();
  dataDir = mkdtempSync(join(tmpdir(), 'outpost-ui-devices-'));
  agent = await createAgent({
    dataDir,
    secretsFile: true,
    serverUrl: srv.url,
    env: {},
    logging: false,
    timings: { intervalMs: 60_000, backoffBaseMs: 60_000, backoffCapMs: 60_000 },
  });
}, 60_000);
afterEach(cleanup);
afterAll(async () => {
  await agent?.stop();
  await srv?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

function renderPage() {
  const adapter = createAgentApi({
    agent,
    app: { name: 'Outpost', version: 'test', shell: 'headless', electron: null },
    admin: new AdminClient(async () => ({ url: srv.url, apiKey: srv.apiKey })),
  });
  const { api } = createApiClient({
    invoke: (channel: Channel, payload: unknown) => adapter.invoke(channel, payload),
    subscribe: (listener) => adapter.onEvent(listener),
  });
  render(
    <ApiProvider value={api}>
      <AdminDevices />
    </ApiProvider>,
  );
}

describe('admin devices page (real server)', { timeout: 60_000 }, () => {
  it('creates the device for this machine; its token stays listed with a copy button until used', async () => {
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderPage();
    const own = agent.device.ownDeviceKey();
    await userEvent.click(screen.getByRole('button', { name: 'For this machine' }));
    await waitFor(() =>
      expect((screen.getByLabelText('New device key (optional)') as HTMLInputElement).value).toBe(own),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Create device' }));
    const item = await screen.findByTestId(`outstanding-${own}`);
    const token = item.querySelector('.token')!.textContent!;
    expect(token).toMatch(/^[0-9A-F]{6}$/);
    // Still there after the one-time panel is dismissed.
    await userEvent.click(screen.getByRole('button', { name: 'Done, hide the token' }));
    await userEvent.click(within(screen.getByTestId(`outstanding-${own}`)).getByRole('button'));
    expect(writeText).toHaveBeenCalledWith(token);

    // The local agent matches the device it was created for, and the used token leaves the list.
    await agent.device.register(token, own);
    await waitFor(() => expect(screen.queryByTestId(`outstanding-${own}`)).toBeNull(), { timeout: 20_000 });
  });

  it('a revoked device is issued a new token from the page; revoking drops an outstanding one', async () => {
    const key = `kiosk-${Date.now()}`;
    renderPage();
    await userEvent.type(screen.getByLabelText('New device key (optional)'), key);
    await userEvent.click(screen.getByRole('button', { name: 'Create device' }));
    await screen.findByTestId(`outstanding-${key}`);

    const row = await screen.findByTestId(`device-row-${key}`);
    await userEvent.click(within(row).getByRole('button', { name: 'Revoke' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Revoke' }));
    await waitFor(() => expect(screen.queryByTestId(`outstanding-${key}`)).toBeNull(), { timeout: 20_000 });

    const revoked = await screen.findByTestId(`device-row-${key}`);
    await waitFor(() => expect(revoked.textContent).toContain('revoked'), { timeout: 20_000 });
    await userEvent.click(within(revoked).getByRole('button', { name: 'Issue a new token' }));
    const again = await screen.findByTestId(`outstanding-${key}`);
    expect(again.querySelector('.token')!.textContent).toMatch(/^[0-9A-F]{6}$/);
  });
});
