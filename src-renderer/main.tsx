import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createRendererApi } from './api/transport.js';
import { App } from './app.js';
import { applyTheme, readTheme } from './lib/theme.js';
import './styles.css';

// Before the first paint, so a dark-mode operator never sees a white flash.
applyTheme(readTheme());

const { api, kind, shell } = createRendererApi();
// Seed 000 plugin activity (the UI is open / closed). In Electron the window is the UI, so the renderer reports
// it; headless, `--ui` itself counts as an open UI for as long as it runs, and a closed browser tab must not end
// that, so the bridge process reports it instead.
if (kind === 'ipc') {
  void api.ui.opened();
  window.addEventListener('pagehide', () => void api.ui.closed());
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App api={api} shell={shell} />
  </StrictMode>,
);
