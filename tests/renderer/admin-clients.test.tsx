// @vitest-environment jsdom
import './no-xhr.js';
/**
 * Admin → clients over the real thing: a real server (child process), the agent's real AdminClient and channel
 * adapter, the React page in jsdom. The top-up field takes only a positive whole number; reduce, rename and delete
 * are separate actions that do nothing until confirmed, and what the server refuses is said in its words.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src-main/agent/admin/admin-client.js';
import { createAgent, type Agent } from '../../src-main/agent/agent.js';
import { createAgentApi } from '../../src-main/agent/api.js';
import { ApiProvider } from '../../src-renderer/api/context.js';
import { AdminClients } from '../../src-renderer/pages/admin/clients.js';
import { createApiClient } from '../../src-shared/ipc/client.js';
import type { Channel } from '../../src-shared/ipc/channels.js';
import { adminCreateClient, startChildServer, type StackServer } from './real-stack.js';

let srv: StackServer;
let agent: Agent;
let dataDir: string;

beforeAll(async () => {
  srv = await startChildServer();
  dataDir = mkdtempSync(join(tmpdir(), 'outpost-ui-clients-'));
  agent = await createAgent({ dataDir, secretsFile: true, serverUrl: srv.url, env: {}, logging: false });
}, 60_000);
afterEach(cleanup);
afterAll(async () => {
  await agent?.stop();
  await srv?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

function renderPage() {
  const admin = new AdminClient(async () => ({ url: srv.url, apiKey: srv.apiKey }));
  const adapter = createAgentApi({
    agent,
    app: { name: 'Outpost', version: 'test', shell: 'headless', electron: null },
    admin,
  });
  const { api } = createApiClient({
    invoke: (channel: Channel, payload: unknown) => adapter.invoke(channel, payload),
    subscribe: (listener) => adapter.onEvent(listener),
  });
  render(
    <ApiProvider value={api}>
      <AdminClients />
    </ApiProvider>,
  );
}

async function clientOnServer(id: number) {
  const res = await srv.api('GET', '/api/admin/clients', undefined, { 'x-api-key': srv.apiKey });
  return (res.body as { data: { id: number; name: string; remaining: number }[] }).data.find(
    (c) => c.id === id,
  );
}

describe('admin clients page (real server)', () => {
  it('tops up only with a positive whole number', async () => {
    const id = await adminCreateClient(srv, 'Acme', 5);
    renderPage();
    const row = await screen.findByTestId(`client-row-${id}`);
    const field = within(row).getByLabelText('Add copies to Acme');
    const button = within(row).getByRole('button', { name: 'Top up' });
    await userEvent.type(field, '-0');
    expect((field as HTMLInputElement).value).toBe('0'); // the minus sign never gets in
    expect((button as HTMLButtonElement).disabled).toBe(true);
    await userEvent.clear(field);
    await userEvent.type(field, '7');
    await userEvent.click(button);
    await waitFor(async () => expect((await clientOnServer(id))?.remaining).toBe(12));
  });

  it('reduces, renames and deletes only after confirmation', async () => {
    const id = await adminCreateClient(srv, 'Beta', 10);
    renderPage();
    const row = await screen.findByTestId(`client-row-${id}`);

    await userEvent.type(within(row).getByLabelText('Take copies away'), '4');
    await userEvent.click(within(row).getByRole('button', { name: 'Reduce…' }));
    expect(screen.getByText(/4 copies will be taken away: Beta will have 6 left/)).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect((await clientOnServer(id))?.remaining).toBe(10);
    await userEvent.click(within(row).getByRole('button', { name: 'Reduce…' }));
    await userEvent.click(screen.getByRole('button', { name: 'Take 4 away' }));
    await waitFor(async () => expect((await clientOnServer(id))?.remaining).toBe(6));

    await userEvent.type(within(row).getByLabelText('New name'), 'Beta GmbH');
    await userEvent.click(within(row).getByRole('button', { name: 'Rename…' }));
    await userEvent.click(screen.getByRole('button', { name: 'Rename' }));
    await waitFor(async () => expect((await clientOnServer(id))?.name).toBe('Beta GmbH'));

    const renamed = await screen.findByTestId(`client-row-${id}`);
    await userEvent.click(within(renamed).getByRole('button', { name: 'Delete Beta GmbH…' }));
    await userEvent.click(screen.getByRole('button', { name: 'Delete client' }));
    await waitFor(async () => expect(await clientOnServer(id)).toBeUndefined());
    await waitFor(() => expect(screen.queryByTestId(`client-row-${id}`)).toBeNull());
  });

  it("says the server's reason when a rename is refused", async () => {
    await adminCreateClient(srv, 'Gamma', 1);
    const id = await adminCreateClient(srv, 'Delta', 1);
    renderPage();
    const row = await screen.findByTestId(`client-row-${id}`);
    await userEvent.type(within(row).getByLabelText('New name'), 'gamma');
    await userEvent.click(within(row).getByRole('button', { name: 'Rename…' }));
    await userEvent.click(screen.getByRole('button', { name: 'Rename' }));
    expect((await screen.findByRole('alert')).textContent).toContain("Client 'gamma' already exists");
    expect((await clientOnServer(id))?.name).toBe('Delta');
  });
});
