// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CopyValue } from '../../src-renderer/components/copy-value.js';
import { DataTable } from '../../src-renderer/components/data-table.js';
import { ThemeSwitch } from '../../src-renderer/components/theme-switch.js';
import { applyTheme, readTheme } from '../../src-renderer/lib/theme.js';

afterEach(cleanup);

function clearTheme() {
  localStorage.clear();
  document.cookie = 'outpost-theme=; Path=/; Max-Age=0';
  delete document.documentElement.dataset.theme;
}

describe('theme switch', () => {
  beforeEach(clearTheme);

  it('follows the OS by default (no data-theme), and a choice sets <html data-theme> and is remembered', async () => {
    expect(readTheme()).toBe('system');
    render(<ThemeSwitch />);
    const select = screen.getByLabelText('Theme') as HTMLSelectElement;
    expect(select.value).toBe('system');
    expect(document.documentElement.dataset.theme).toBeUndefined();

    await userEvent.selectOptions(select, 'dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(localStorage.getItem('outpost-theme')).toBe('dark');
    expect(document.cookie).toContain('outpost-theme=dark');

    cleanup();
    render(<ThemeSwitch />);
    expect((screen.getByLabelText('Theme') as HTMLSelectElement).value).toBe('dark');

    await userEvent.selectOptions(screen.getByLabelText('Theme'), 'system');
    expect(document.documentElement.dataset.theme).toBeUndefined();
    expect(readTheme()).toBe('system');
  });

  it('keeps the choice when only the cookie survived (the web UI came back on another port)', () => {
    document.cookie = 'outpost-theme=light; Path=/';
    expect(readTheme()).toBe('light');
    applyTheme(readTheme());
    expect(document.documentElement.dataset.theme).toBe('light');
  });

  it('ignores a stored value it does not know', () => {
    localStorage.setItem('outpost-theme', 'neon');
    expect(readTheme()).toBe('system');
  });
});

describe('tables on a narrow screen', () => {
  it('labels every cell with its column name, also for rows added later', () => {
    const table = (rows: string[]) => (
      <DataTable>
        <caption>Devices</caption>
        <thead>
          <tr>
            <th scope="col">Device key</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r}>
              <td>{r}</td>
              <td>
                <button type="button">Revoke</button>
              </td>
            </tr>
          ))}
        </tbody>
      </DataTable>
    );
    const { rerender } = render(table(['a']));
    rerender(table(['a', 'b']));
    const t = screen.getByRole('table', { name: 'Devices' });
    expect(t.className).toContain('table-stack');
    const labels = within(t)
      .getAllByRole('cell')
      .map((c) => c.getAttribute('data-label'));
    expect(labels).toEqual(['Device key', 'Actions', 'Device key', 'Actions']);
  });

  it('shows a long key whole on hover and copies it with one click', async () => {
    const key = 'kiosk-front-desk-building-7-floor-3-0123456789abcdef';
    const writeText = vi.fn(async () => undefined);
    const user = userEvent.setup();
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<CopyValue value={key} what="device key" />);
    expect(screen.getByText(key).getAttribute('title')).toBe(key);
    await user.click(screen.getByRole('button', { name: `Copy device key ${key}` }));
    expect(writeText).toHaveBeenCalledWith(key);
    expect(await screen.findByText('Copied')).toBeTruthy();
  });
});
