// @vitest-environment jsdom
import './no-xhr.js';
import { cleanup, screen, waitFor } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_ADMIN } from '../helpers/server.js';
import { startRealStack, type RealStack, type StackServer as TestServer } from './real-stack.js';

const stacks: RealStack[] = [];
afterEach(async () => {
  cleanup();
  for (const s of stacks.splice(0).reverse()) await s.dispose();
});

const admin = (srv: TestServer) => ({ 'X-API-Key': srv.apiKey });

async function licensed(realtime: boolean): Promise<{ s: RealStack; id: string }> {
  const s = await startRealStack({ childServer: true, agent: { station: { realtime } } });
  stacks.push(s);
  const gen = await s.srv.api('POST', '/api/licenses/generate', { duration_days: 365 }, admin(s.srv));
  expect(gen.status).toBe(201);
  const { id, license_key } = gen.body.data as { id: string; license_key: string };
  await s.agent.license.activate(license_key, 'owner@example.com');
  await userEvent.click(screen.getByRole('link', { name: 'License' }));
  await waitFor(() => expect(screen.getByText('Active')).toBeTruthy());
  return { s, id };
}

const revoke = async (srv: TestServer, id: string) =>
  expect((await srv.api('PUT', `/api/licenses/${id}`, { status: 'revoked' }, admin(srv))).status).toBe(200);

describe('license state over a real agent and server', () => {
  it('a license revoked on the server shows Revoked at once: the server announces it on the socket, the agent re-checks', async () => {
    const { s, id } = await licensed(true);
    await s.agent.station.login(TEST_ADMIN.username, TEST_ADMIN.password);
    await waitFor(() => expect(s.agent.station.diagnostics().realtime_connected).toBe(true));

    await revoke(s.srv, id);
    // Nobody presses anything and the hourly check is far away: only the announcement can bring this.
    await waitFor(() => expect(screen.getByText('Revoked')).toBeTruthy());
    expect(screen.queryByText('Active')).toBeNull();
  });

  it('"Check now" asks the server at once (no socket, e.g. no station login)', async () => {
    const { s, id } = await licensed(false);
    await revoke(s.srv, id);
    expect(screen.getByText('Active')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Check now' }));
    await waitFor(() => expect(screen.getByText('Revoked')).toBeTruthy());
  });

  it('an announcement about another license does not trigger a check', async () => {
    const { s, id } = await licensed(true);
    await s.agent.station.login(TEST_ADMIN.username, TEST_ADMIN.password);
    await waitFor(() => expect(s.agent.station.diagnostics().realtime_connected).toBe(true));
    const license = s.agent.license;
    const real = license.checkNow.bind(license);
    let checks = 0;
    license.checkNow = () => (checks++, real());

    const other = await s.srv.api('POST', '/api/licenses/generate', { duration_days: 30 }, admin(s.srv));
    await revoke(s.srv, (other.body.data as { id: string }).id);
    await revoke(s.srv, id);
    await waitFor(() => expect(screen.getByText('Revoked')).toBeTruthy());
    // Both announcements came over the same socket, in order: only the one about our license was acted on.
    expect(checks).toBe(1);
  });
});
