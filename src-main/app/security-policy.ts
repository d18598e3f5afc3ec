/**
 * The shell's security rules as plain functions (no 'electron' import), so tests exercise them without the
 * Electron runtime: which URLs our window may show, which senders IPC trusts, which external links may open,
 * the CSP, and the webPreferences every window gets. Electron's security checklist, item by item, lives here.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, sep } from 'node:path';

/** CSP sent as a response header on every page of the app session (file:// and the dev server). */
export function appContentSecurityPolicy(devServerOrigin?: string | null): string {
  const connect = devServerOrigin ? ` ${devServerOrigin} ${devServerOrigin.replace(/^http/, 'ws')}` : '';
  return [
    "default-src 'none'",
    `script-src 'self'${devServerOrigin ? ` ${devServerOrigin}` : ''}`,
    `style-src 'self'${devServerOrigin ? ` ${devServerOrigin}` : ''}`,
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${connect}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface AppOrigin {
  /** Absolute path of the built renderer's index.html (file:// in production). */
  rendererIndex: string;
  /** Vite dev server origin (http://127.0.0.1:5173) when running in development, else null. */
  devServerOrigin: string | null;
}

/** True for URLs that are our own renderer: files under the renderer dir, or the dev server in development. */
export function isAppUrl(raw: string, origin: AppOrigin): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol === 'file:') {
    let path: string;
    try {
      path = fileURLToPath(url);
    } catch {
      return false;
    }
    const root = dirname(origin.rendererIndex);
    return path === origin.rendererIndex || path.startsWith(root + sep);
  }
  if (origin.devServerOrigin && (url.protocol === 'http:' || url.protocol === 'https:')) {
    return url.origin === new URL(origin.devServerOrigin).origin;
  }
  return false;
}

export function rendererUrl(origin: AppOrigin): string {
  return origin.devServerOrigin ?? pathToFileURL(origin.rendererIndex).toString();
}

/** Minimal shapes of Electron's IPC event, so tests can hand in plain objects. */
export interface SenderFrameLike {
  url: string;
  parent?: unknown;
}
export interface IpcEventLike {
  sender: { id: number };
  senderFrame?: SenderFrameLike | null;
}

/**
 * IPC is trusted only from our own window's webContents, from its top frame, showing our renderer. Anything else
 * (another window, a subframe, a page that navigated away) is ignored.
 */
export function isTrustedSender(
  event: IpcEventLike,
  trustedWebContentsIds: ReadonlySet<number>,
  origin: AppOrigin,
): boolean {
  if (!trustedWebContentsIds.has(event.sender.id)) return false;
  const frame = event.senderFrame;
  if (!frame) return false;
  if (frame.parent) return false;
  return isAppUrl(frame.url, origin);
}

/**
 * External links the app itself builds (help, the server's dashboard): https only, exact hosts from the allow
 * list, no credentials in the URL. Everything else stays closed.
 */
export function isAllowedExternalUrl(raw: string, allowedHosts: ReadonlySet<string>): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  return (
    url.protocol === 'https:' &&
    !url.username &&
    !url.password &&
    allowedHosts.has(url.hostname.toLowerCase())
  );
}

/** Hosts whose https pages the app may open in the system browser. */
export const EXTERNAL_HOSTS: ReadonlySet<string> = new Set(['github.com', 'meeting.ygsoft.fr']);
