// @vitest-environment jsdom
import './no-xhr.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.js';
import { adminCreateDevice, startRealStack, type RealStack } from './real-stack.js';

const stacks: RealStack[] = [];
afterEach(async () => {
  cleanup();
  for (const s of stacks.splice(0).reverse()) await s.dispose();
});

async function stack(opts: Parameters<typeof startRealStack>[0] = {}): Promise<RealStack> {
  const s = await startRealStack(opts);
  stacks.push(s);
  return s;
}

const header = () => screen.getByTestId('header-device');
const heartbeatLine = () => screen.getByTestId('heartbeat-status');

async function registerThroughUi(s: RealStack, key: string, token?: string): Promise<void> {
  const code = token ?? (await adminCreateDevice(s.srv, key));
  const keyField = (await screen.findByLabelText('Device key')) as HTMLInputElement;
  await userEvent.clear(keyField);
  await userEvent.type(keyField, key);
  await userEvent.type(screen.getByLabelText('Registration token'), code);
  await userEvent.click(screen.getByRole('button', { name: 'Register Device' }));
}

describe('device states over a real agent and server', () => {
  it('says "Rejected by server" with the reason once the server refuses the revoked device, in the header and on the page', async () => {
    const s = await stack();
    await registerThroughUi(s, 'device-revoke01');
    await waitFor(() => expect(header().textContent).toContain('Registered'));
    await waitFor(() => expect(heartbeatLine().textContent).toContain('Active ✓'));

    const res = await s.srv.api('DELETE', '/api/admin/devices/device-revoke01', undefined, {
      'X-API-Key': s.srv.apiKey,
    });
    expect(res.status).toBe(200);
    await userEvent.click(screen.getByRole('button', { name: 'Test Heartbeat' }));

    await waitFor(() => expect(header().textContent).toContain('Rejected by server'));
    expect(header().textContent).not.toMatch(/^Registered/);
    expect(header().textContent).toMatch(/revoked/);
    expect(heartbeatLine().textContent).not.toContain('Active');
    const alert = screen.getByTestId('device-rejected');
    expect(alert.textContent).toMatch(/Heartbeat refused \(401\)/);
    expect(screen.getByTestId('registration-status').textContent).toContain('Rejected by server');
  });

  it('does not show "Active ✓" right after a Test Heartbeat that failed (server down)', async () => {
    const s = await stack();
    await registerThroughUi(s, 'device-down0001');
    await waitFor(() => expect(heartbeatLine().textContent).toContain('Active ✓'));
    await s.srv.stop();

    await userEvent.click(screen.getByRole('button', { name: 'Test Heartbeat' }));
    const result = await screen.findByTestId('heartbeat-result');
    expect(result.textContent).toMatch(/Heartbeat failed/);
    await waitFor(() => expect(heartbeatLine().textContent).toContain('Failing (1 attempt failed'));
    expect(heartbeatLine().textContent).not.toContain('Active');
    // Unreachable is not a refusal: the device is still registered, and nobody is told to unregister.
    expect(header().textContent).toContain('Registered');
    expect(screen.queryByTestId('device-rejected')).toBeNull();
  });

  it('a mistyped token is not met with "ask for a new token", and the right token still works afterwards', async () => {
    const s = await stack();
    const right = await adminCreateDevice(s.srv, 'device-typo0001');
    const wrong = right === 'ABCDEF' ? 'ABCDEE' : 'ABCDEF';
    await registerThroughUi(s, 'device-typo0001', wrong);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/Registration failed/);
    expect(alert.textContent).toMatch(/typed exactly as given/);
    expect(alert.textContent).toMatch(/does not use up the right one/);
    // The advice leads with checking the typing, not with a new token.
    expect(alert.textContent!.indexOf('typed')).toBeLessThan(alert.textContent!.indexOf('new one'));

    const tokenField = screen.getByLabelText('Registration token');
    await userEvent.clear(tokenField);
    await userEvent.type(tokenField, right);
    await userEvent.click(screen.getByRole('button', { name: 'Register Device' }));
    await waitFor(() => expect(header().textContent).toContain('Registered'));
  });

  it('a profile URL that answers 404 on every route says the URL looks wrong, never "Unregister"', async () => {
    const srv = await startTestServer();
    const dataDir = mkdtempSync(join(tmpdir(), 'outpost-ui-agent-'));
    try {
      const first = await startRealStack({ srv, dataDir });
      await registerThroughUi(first, 'device-wrongurl');
      await waitFor(() => expect(header().textContent).toContain('Registered'));
      await first.dispose();
      cleanup();

      // The same registered agent restarted with a mistyped profile URL (a path in front of every route).
      await stack({ srv, dataDir, serverUrl: (u) => `${u}/outpost` });
      await waitFor(() => expect(header().textContent).toContain('Server URL looks wrong'));
      const alert = screen.getByTestId('device-wrong-url');
      expect(alert.textContent).toMatch(/server URL looks wrong/i);
      expect(alert.textContent).toMatch(/Settings/);
      expect(alert.textContent).toMatch(/Do not unregister/);
      expect(screen.queryByTestId('device-rejected')).toBeNull();
      expect(within(screen.getByTestId('registration-status')).queryByText('Rejected by server')).toBeNull();
    } finally {
      for (const s of stacks.splice(0).reverse()) await s.dispose();
      await srv.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('registering against a URL that is not an Outpost server says the URL looks wrong', async () => {
    await stack({ serverUrl: (u) => `${u}/outpost` });
    await registerThroughUi(stacks[0]!, 'device-wrongreg', 'ABCDEF');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/server URL looks wrong/);
    expect(alert.textContent).not.toMatch(/new token/);
  });
});
