// @vitest-environment jsdom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../src-renderer/api/context.js';
import type { LicenseStatus } from '../../src-renderer/api/types.js';
import { LicenseCountdown, LicensePage } from '../../src-renderer/pages/license.js';
import { fail, fakeApi, ok } from './fake-api.js';

afterEach(cleanup);

const NOW = Date.parse('2026-11-22T05:00:00.000Z');
const base: LicenseStatus = {
  state: 'active',
  license_key: 'PROGRAN3-2026-A1B2C3-XYZ789',
  email: 'op@example.com',
  activated_at: '2026-11-01T00:00:00.000Z',
  expires_at: '2026-11-25T08:30:00.000Z',
  days_left: 3,
  last_validated_at: null,
  message: 'License active',
};

describe('license status countdown', () => {
  it('counts down days and hours to expiry', () => {
    render(<LicenseCountdown status={base} now={NOW} />);
    expect(screen.getByTestId('license-countdown').textContent).toContain('Expires in 3 d 3 h');
  });

  it('counts down minutes and seconds in the last hour', () => {
    render(<LicenseCountdown status={{ ...base, expires_at: '2026-11-22T05:12:05.000Z' }} now={NOW} />);
    expect(screen.getByTestId('license-countdown').textContent).toContain('Expires in 12 min 5 s');
  });

  it('says Expired once the expiry has passed', () => {
    render(<LicenseCountdown status={{ ...base, expires_at: '2026-11-21T05:00:00.000Z' }} now={NOW} />);
    expect(screen.getByTestId('license-countdown').textContent).toContain('Expired');
  });

  it('renders nothing for a license without expiry or with a garbage date ("not-a-date")', () => {
    const { container } = render(<LicenseCountdown status={{ ...base, expires_at: null }} now={NOW} />);
    expect(container.textContent).toBe('');
    cleanup();
    const r2 = render(<LicenseCountdown status={{ ...base, expires_at: 'not-a-date' }} now={NOW} />);
    expect(r2.container.textContent).toBe('');
  });
});

describe('license page', () => {
  const none: LicenseStatus = {
    ...base,
    state: 'none',
    license_key: null,
    email: null,
    expires_at: null,
    days_left: null,
    message: 'No license on this machine yet',
  };

  it('activates with key + email and then shows the status and countdown', async () => {
    let current = none;
    const fake = fakeApi({
      'license.status': async () => ok(current),
      'license.activate': async () => {
        current = { ...base, expires_at: new Date(Date.now() + 30 * 86400_000).toISOString() };
        return ok(current);
      },
    });
    render(
      <ApiProvider value={fake.api}>
        <LicensePage />
      </ApiProvider>,
    );
    await screen.findByText('No license');
    await userEvent.type(screen.getByLabelText('License key'), 'progran3-2026-a1b2c3-xyz789');
    await userEvent.type(screen.getByLabelText('Email'), 'op@example.com');
    await userEvent.click(screen.getByRole('button', { name: 'Activate' }));
    await waitFor(() =>
      expect(screen.getByTestId('license-key').textContent).toBe('PROGRAN3-2026-A1B2C3-XYZ789'),
    );
    expect(fake.calls.find((c) => c.channel === 'license.activate')?.input).toEqual({
      license_key: 'PROGRAN3-2026-A1B2C3-XYZ789',
      email: 'op@example.com',
    });
    expect(screen.getByTestId('license-countdown').textContent).toMatch(/Expires in (29|30) d/);
    expect(screen.getByRole('button', { name: 'Deactivate' })).toBeTruthy();
  });

  it('keeps Activate disabled for a malformed key ("ABC-123")', async () => {
    render(
      <ApiProvider value={fakeApi({ 'license.status': async () => ok(none) }).api}>
        <LicensePage />
      </ApiProvider>,
    );
    await screen.findByText('No license');
    await userEvent.type(screen.getByLabelText('License key'), 'abc-123');
    await userEvent.type(screen.getByLabelText('Email'), 'op@example.com');
    expect((screen.getByRole('button', { name: 'Activate' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText(/Format: PROGRAN3-YYYY/)).toBeTruthy();
  });

  it('explains a license already in use elsewhere (LICENSE_IN_USE)', async () => {
    render(
      <ApiProvider
        value={
          fakeApi({
            'license.status': async () => ok(none),
            'license.activate': async () =>
              fail('LICENSE_IN_USE', 'License is already activated on 1 machine'),
          }).api
        }
      >
        <LicensePage />
      </ApiProvider>,
    );
    await screen.findByText('No license');
    await userEvent.type(screen.getByLabelText('License key'), 'PROGRAN3-2026-A1B2C3-XYZ789');
    await userEvent.type(screen.getByLabelText('Email'), 'op@example.com');
    await userEvent.click(screen.getByRole('button', { name: 'Activate' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('already activated');
    expect(alert.textContent).toContain('Deactivate the license on another machine first.');
  });
});
