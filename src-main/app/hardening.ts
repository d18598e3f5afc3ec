/**
 * Session- and app-wide secure defaults (Electron security checklist): CSP as a response header on every app
 * page (the app scheme sets it itself; this covers the dev server), permission requests and checks denied except
 * sanitized clipboard writes from our own pages, navigation away from our renderer refused, window.open denied
 * (https links the app builds go to the system browser), <webview> never attached.
 */
import { app, session, shell, type WebContents } from 'electron';
import { createLogger } from '../agent/logging/logger.js';
import {
  appContentSecurityPolicy,
  EXTERNAL_HOSTS,
  isAllowedExternalUrl,
  isAppUrl,
  isPermissionAllowed,
  type AppOrigin,
} from './security-policy.js';

const log = createLogger('shell');

/** The one place the shell opens external URLs: https, allow-listed hosts only. */
export async function openExternalSafe(url: string): Promise<boolean> {
  if (!isAllowedExternalUrl(url, EXTERNAL_HOSTS)) {
    log.warn({ host: safeHost(url) }, 'refused to open an external URL');
    return false;
  }
  await shell.openExternal(url);
  return true;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid)';
  }
}

export function hardenSession(origin: AppOrigin): void {
  const ses = session.defaultSession;
  const csp = appContentSecurityPolicy(origin.devServerOrigin);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [csp],
        'X-Content-Type-Options': ['nosniff'],
      },
    });
  });
  ses.setPermissionRequestHandler((wc, permission, callback, details) => {
    const allowed = isPermissionAllowed(permission, details.requestingUrl ?? wc.getURL(), origin);
    if (!allowed) log.warn({ permission }, 'permission request denied');
    callback(allowed);
  });
  ses.setPermissionCheckHandler((wc, permission, requestingOrigin, details) =>
    isPermissionAllowed(permission, details.requestingUrl ?? wc?.getURL() ?? requestingOrigin, origin),
  );
  ses.setDevicePermissionHandler(() => false);
}

export function hardenWebContents(origin: AppOrigin): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url, origin)) {
        event.preventDefault();
        log.warn({ host: safeHost(url) }, 'navigation refused');
      }
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url, origin)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      void openExternalSafe(url).catch(() => undefined);
      return { action: 'deny' };
    });
  });
}
