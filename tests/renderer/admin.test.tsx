// @vitest-environment jsdom
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiProvider } from '../../src-renderer/api/context.js';
import type { AdminDevice } from '../../src-renderer/api/types.js';
import { ActivityChart } from '../../src-renderer/pages/admin/activity-chart.js';
import { AdminDevices } from '../../src-renderer/pages/admin/devices.js';
import { fail, fakeApi, ok } from './fake-api.js';

afterEach(cleanup);

const dev = (key: string, online: boolean): AdminDevice => ({
  device_key: key,
  note: null,
  online,
  registered: online,
  revoked: false,
  last_seen: online ? '2026-11-22T05:00:00.000Z' : null,
  created_at: '2026-11-22T04:00:00.000Z',
  ip_address: null,
});

describe('admin devices', () => {
  it('shows a created device’s token in a panel until Done (the outstanding list is the agent’s)', async () => {
    const devices: AdminDevice[] = [dev('kiosk-1', true)];
    const fake = fakeApi({
      'admin.devices.list': async () => ok({ devices }),
      'admin.devices.create': async (input) => {
        const key = (input as { device_key?: string }).device_key ?? 'auto-1';
        devices.push(dev(key, false));
        return ok({ device_key: key, token_code: 'C0FFEE', expires_at: null });
      },
    });
    render(
      <ApiProvider value={fake.api}>
        <AdminDevices />
      </ApiProvider>,
    );
    await screen.findByTestId('device-row-kiosk-1');
    await userEvent.type(screen.getByLabelText('New device key (optional)'), 'kiosk-2');
    await userEvent.click(screen.getByRole('button', { name: 'Create device' }));
    expect((await screen.findByTestId('device-token-code')).textContent).toBe('C0FFEE');
    expect(screen.getByText(/works for one registration/)).toBeTruthy();
    await screen.findByTestId('device-row-kiosk-2');
    await userEvent.click(screen.getByRole('button', { name: 'Done, hide the token' }));
    expect(screen.queryByTestId('device-token')).toBeNull();
    expect(document.body.textContent).not.toContain('C0FFEE');
    // A refresh of the list does not bring it back either.
    await userEvent.click(screen.getByRole('button', { name: 'Create device' }));
    await waitFor(() =>
      expect(fake.calls.filter((c) => c.channel === 'admin.devices.create').length).toBe(2),
    );
  });

  it('shows online / offline per device', async () => {
    render(
      <ApiProvider
        value={
          fakeApi({
            'admin.devices.list': async () => ok({ devices: [dev('a-1', true), dev('b-2', false)] }),
          }).api
        }
      >
        <AdminDevices />
      </ApiProvider>,
    );
    expect((await screen.findByTestId('device-row-a-1')).textContent).toContain('online');
    expect(screen.getByTestId('device-row-b-2').textContent).toContain('offline');
    expect(screen.getByText('(1 online of 2)')).toBeTruthy();
  });

  it('explains a device key that already exists (CONFLICT)', async () => {
    render(
      <ApiProvider
        value={
          fakeApi({
            'admin.devices.list': async () => ok({ devices: [] }),
            'admin.devices.create': async () => fail('CONFLICT', 'Device kiosk-1 already exists'),
          }).api
        }
      >
        <AdminDevices />
      </ApiProvider>,
    );
    await userEvent.type(screen.getByLabelText('New device key (optional)'), 'kiosk-1');
    await userEvent.click(screen.getByRole('button', { name: 'Create device' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Device not created');
    expect(alert.textContent).toContain('already exists');
    expect(screen.queryByTestId('device-token')).toBeNull();
  });
});

describe('activity chart', () => {
  it('draws one bar per minute and an online line, with a text summary', () => {
    const t0 = Date.parse('2026-11-22T04:00:00.000Z');
    const points = Array.from({ length: 3 }, (_, i) => ({
      minute: new Date(t0 + i * 60_000).toISOString(),
      heartbeats: i * 2,
      online: i,
    }));
    const { container } = render(<ActivityChart stats={{ online_devices: 2, total_devices: 4, points }} />);
    expect(container.querySelectorAll('rect.bar-hb').length).toBe(3);
    expect(container.querySelector('polyline.line-online')?.getAttribute('points')?.split(' ').length).toBe(
      3,
    );
    expect(screen.getByText(/Now 2 of 4 devices online; 6 heartbeats in the last 3 minutes/)).toBeTruthy();
  });

  it('draws an empty chart for a server that just started (no points)', () => {
    const { container } = render(
      <ActivityChart stats={{ online_devices: 0, total_devices: 0, points: [] }} />,
    );
    expect(container.querySelectorAll('rect.bar-hb').length).toBe(0);
    expect(container.querySelector('polyline')).toBeNull();
  });
});
