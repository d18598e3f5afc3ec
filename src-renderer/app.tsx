/**
 * The app shell: header, navigation (hash routes, so a reload stays on the page and links work from the
 * keyboard), and the pages. Admin is the operator's console for whichever server the active profile points at.
 */
import { useEffect, useState } from 'react';
import { ApiProvider, useApi, useQuery } from './api/context.js';
import type { OutpostApi } from './api/types.js';
import { Badge } from './components/badge.js';
import { ShellBanner } from './components/shell-banner.js';
import { ThemeSwitch } from './components/theme-switch.js';
import { StartupScreen } from './components/startup-screen.js';
import type { ShellBridge } from '../src-shared/ipc/shell-state.js';
import { deviceView } from './lib/device-state.js';
import { useEventLog } from './api/event-log.js';
import { useShellState } from './api/shell-state.js';
import { AdminPage } from './pages/admin.js';
import { LicensePage } from './pages/license.js';
import { RegistrationPage } from './pages/registration.js';
import { SettingsPage } from './pages/settings.js';
import { StationPage } from './pages/station/station-page.js';

export type PageId = 'registration' | 'station' | 'license' | 'settings' | 'admin';

const PAGES: { id: PageId; label: string }[] = [
  { id: 'registration', label: 'Registration' },
  { id: 'station', label: 'Station' },
  { id: 'license', label: 'License' },
  { id: 'settings', label: 'Settings' },
  { id: 'admin', label: 'Admin' },
];

function pageFromHash(): PageId {
  // `#/admin/devices?state=online`: the first segment picks the page, the rest is the page's own.
  const h =
    typeof location === 'undefined' ? '' : (location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '');
  return (PAGES.find((p) => p.id === h)?.id ?? 'registration') as PageId;
}

function Shell({ shell }: { shell: ShellBridge | undefined }) {
  const api = useApi();
  const [page, setPage] = useState<PageId>(pageFromHash);
  const server = useQuery(() => api.server.status(), { eventTypes: ['server.status'] });
  const device = useQuery(() => api.device.status(), { eventTypes: ['device.status'] });
  // The station's reachability check runs whether or not anyone is logged in: it is the app's one
  // online/offline truth (a slow poll backs up the events, as on the Station page).
  const station = useQuery(() => api.station.status(), {
    eventTypes: ['station.status'],
    intervalMs: 5000,
  });
  const dv = device.data ? deviceView(device.data) : null;
  const adminOn = server.data?.running === true && server.data.admin_available;
  useEventLog(); // start the live feed's buffer now, not at the first Station visit

  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    const label = PAGES.find((p) => p.id === page)?.label ?? '';
    document.title = `${label} — Outpost`;
  }, [page]);

  const visible = PAGES;
  const current = page;

  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <h1 className="brand">Outpost</h1>
        <span aria-live="polite" data-testid="header-device">
          {dv && (
            <>
              <Badge tone={dv.tone}>{dv.label}</Badge>
              {dv.reason && <span className="muted header-reason"> {dv.reason}</span>}
            </>
          )}
        </span>
        <span aria-live="polite" data-testid="header-connection">
          {station.data &&
            (station.data.online ? <Badge tone="ok">Online</Badge> : <Badge tone="bad">Offline</Badge>)}
        </span>
        {adminOn && <Badge tone="neutral">Embedded server on</Badge>}
        <ThemeSwitch />
      </header>
      <nav aria-label="Main" className="nav">
        <ul>
          {visible.map((p) => (
            <li key={p.id}>
              <a
                href={`#/${p.id}`}
                aria-current={current === p.id ? 'page' : undefined}
                onClick={() => setPage(p.id)}
              >
                {p.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <ShellBanner bridge={shell} />
        {current === 'registration' && <RegistrationPage />}
        {current === 'station' && <StationPage />}
        {current === 'license' && <LicensePage />}
        {current === 'settings' && <SettingsPage />}
        {current === 'admin' && <AdminPage />}
      </main>
    </div>
  );
}

/**
 * Headless, the web UI may be up before its agent (a start that asks where secrets go): until the shell says
 * the agent is ready, the start-up screen stands in for the pages, whose calls would all fail. The desktop shell
 * builds its agent before the window, so its state has no agent phase and the pages show at once.
 */
export function App({
  api,
  shell = typeof window === 'undefined' ? undefined : window.outpostShell,
}: {
  api: OutpostApi;
  shell?: ShellBridge;
}) {
  const [state] = useShellState(shell);
  const agentPhase = state?.agent?.phase;
  if (shell && state && agentPhase !== undefined && agentPhase !== 'ready') {
    return (
      <div className="app">
        <header className="topbar">
          <h1>Outpost</h1>
        </header>
        <StartupScreen state={state} bridge={shell} />
      </div>
    );
  }
  return (
    <ApiProvider value={api}>
      <Shell shell={shell} />
    </ApiProvider>
  );
}
