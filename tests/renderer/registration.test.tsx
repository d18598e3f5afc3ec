// @vitest-environment jsdom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../src-renderer/api/context.js';
import { RegistrationPage } from '../../src-renderer/pages/registration.js';
import { fail, fakeApi, ok, registeredStatus, unregisteredStatus, type FakeApi } from './fake-api.js';

afterEach(cleanup);

function renderPage(fake: FakeApi) {
  return render(
    <ApiProvider value={fake.api}>
      <RegistrationPage />
    </ApiProvider>,
  );
}

const tokenField = () => screen.getByLabelText('Registration token') as HTMLInputElement;
const keyField = () => screen.getByLabelText('Device key') as HTMLInputElement;

describe('registration form', () => {
  it('shows Not registered and prefills the device key with the agent’s own key', async () => {
    renderPage(fakeApi());
    expect(await screen.findByText('Not registered')).toBeTruthy();
    await waitFor(() => expect(keyField().value).toBe('own-key-0001'));
    expect(keyField().readOnly).toBe(false);
    expect(screen.queryByRole('button', { name: 'Copy' })).toBeNull();
    expect(screen.getByText('Heartbeat: Inactive')).toBeTruthy();
  });

  it('uppercases a lowercase token as typed ("abc123" → "ABC123")', async () => {
    renderPage(fakeApi());
    await userEvent.type(tokenField(), 'abc123');
    expect(tokenField().value).toBe('ABC123');
  });

  it('keeps at most 6 characters when 9 are typed ("abcdef123")', async () => {
    renderPage(fakeApi());
    await userEvent.type(tokenField(), 'abcdef123');
    expect(tokenField().value).toBe('ABCDEF');
  });

  it('keeps at most 6 characters of a pasted token with spaces (" ab cd ef 99")', async () => {
    renderPage(fakeApi());
    tokenField().focus();
    await userEvent.paste(' ab cd ef 99');
    expect(tokenField().value).toBe('ABCDEF');
  });

  it('enables Register Device only for 6 hex characters (not for "XYZ123")', async () => {
    renderPage(fakeApi());
    const button = screen.getByRole('button', { name: 'Register Device' }) as HTMLButtonElement;
    await userEvent.type(tokenField(), 'xyz123');
    expect(button.disabled).toBe(true);
    await userEvent.clear(tokenField());
    await userEvent.type(tokenField(), 'abc123');
    expect(button.disabled).toBe(false);
  });

  it('sends the token and the edited device key, then shows Registered with a read-only key and Copy', async () => {
    let registered = false;
    const fake = fakeApi({
      'device.status': async () => ok(registered ? registeredStatus : unregisteredStatus),
      'device.register': async () => {
        registered = true;
        return ok(registeredStatus);
      },
    });
    renderPage(fake);
    await waitFor(() => expect(keyField().value).toBe('own-key-0001'));
    await userEvent.clear(keyField());
    await userEvent.type(keyField(), 'device-abc12345');
    await userEvent.type(tokenField(), 'abc123');
    await userEvent.click(screen.getByRole('button', { name: 'Register Device' }));
    expect(await screen.findByText('Registered')).toBeTruthy();
    expect(fake.calls.find((c) => c.channel === 'device.register')?.input).toEqual({
      token: 'ABC123',
      device_key: 'device-abc12345',
    });
    expect(keyField().readOnly).toBe(true);
    expect(keyField().value).toBe('device-abc12345');
    expect(screen.getByRole('button', { name: 'Copy' })).toBeTruthy();
    expect(screen.getByText('Heartbeat: Active ✓')).toBeTruthy();
  });

  it('disables the token field once registered', async () => {
    renderPage(fakeApi({ 'device.status': async () => ok(registeredStatus) }));
    await screen.findByText('Registered');
    expect(tokenField().disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Register Device' }) as HTMLButtonElement).disabled).toBe(
      true,
    );
  });

  it('shows what happened and what to do when the server rejects a token (TOKEN_INVALID)', async () => {
    renderPage(
      fakeApi({ 'device.register': async () => fail('TOKEN_INVALID', 'Invalid token: it was already used') }),
    );
    await userEvent.type(tokenField(), 'abc123');
    await userEvent.click(screen.getByRole('button', { name: 'Register Device' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Registration failed');
    expect(alert.textContent).toContain('Invalid token: it was already used');
    expect(alert.textContent).toContain('only if it is typed right, ask your administrator for a new one');
    expect(screen.getByText('Not registered')).toBeTruthy();
  });

  it('shows an error when the transport itself throws (agent gone)', async () => {
    renderPage(
      fakeApi({
        'device.register': async () => {
          throw new Error('fetch failed');
        },
      }),
    );
    await userEvent.type(tokenField(), 'abc123');
    await userEvent.click(screen.getByRole('button', { name: 'Register Device' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('fetch failed');
    expect(alert.textContent).toContain('Reload the page');
  });

  it('asks for confirmation before Unregister and does nothing on Cancel', async () => {
    const fake = fakeApi({ 'device.status': async () => ok(registeredStatus) });
    renderPage(fake);
    await screen.findByText('Registered');
    await userEvent.click(screen.getByRole('button', { name: 'Unregister' }));
    const dialog = screen.getByRole('dialog', { hidden: true });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel', hidden: true }));
    expect(fake.calls.some((c) => c.channel === 'device.unregister')).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Unregister' }));
    await userEvent.click(
      within(screen.getByRole('dialog', { hidden: true })).getByRole('button', {
        name: 'Unregister',
        hidden: true,
      }),
    );
    await waitFor(() => expect(fake.calls.some((c) => c.channel === 'device.unregister')).toBe(true));
  });
});

describe('test heartbeat', () => {
  it('shows ok, the message and the latency', async () => {
    renderPage(
      fakeApi({
        'device.status': async () => ok(registeredStatus),
        'device.heartbeatNow': async () => ok({ ok: true, message: 'Device online', latency_ms: 37 }),
      }),
    );
    await screen.findByText('Registered');
    await userEvent.click(screen.getByRole('button', { name: 'Test Heartbeat' }));
    const result = await screen.findByTestId('heartbeat-result');
    expect(result.textContent).toContain('Heartbeat ok');
    expect(result.textContent).toContain('Device online');
    expect(result.textContent).toContain('37 ms');
  });

  it('shows failed with the message when the server is unreachable', async () => {
    renderPage(
      fakeApi({
        'device.status': async () => ok(registeredStatus),
        'device.heartbeatNow': async () =>
          ok({ ok: false, message: 'Connection refused (127.0.0.1:9)', latency_ms: null }),
      }),
    );
    await screen.findByText('Registered');
    await userEvent.click(screen.getByRole('button', { name: 'Test Heartbeat' }));
    const result = await screen.findByTestId('heartbeat-result');
    expect(result.textContent).toContain('Heartbeat failed');
    expect(result.textContent).toContain('Connection refused');
    expect(result.textContent).not.toContain(' ms)');
  });

  it('is disabled while not registered', async () => {
    renderPage(fakeApi());
    await screen.findByText('Not registered');
    expect((screen.getByRole('button', { name: 'Test Heartbeat' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('updates the heartbeat indicator from a device.status event without reload', async () => {
    const fake = fakeApi({ 'device.status': async () => ok(registeredStatus) });
    renderPage(fake);
    await screen.findByText('Heartbeat: Active ✓');
    // The status call now answers inactive; the event triggers a re-read.
    const inactive = { ...registeredStatus, heartbeat: 'inactive' as const, last_error: 'timeout' };
    (fake.api.device as unknown as Record<string, unknown>).status = async () => ok(inactive);
    fake.emit({ type: 'device.status', data: inactive });
    expect(await screen.findByText('Heartbeat: Inactive')).toBeTruthy();
  });
});
