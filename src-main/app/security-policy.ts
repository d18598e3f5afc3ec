/**
 * The shell's security rules as plain functions (no 'electron' import), so tests exercise them without the
 * Electron runtime: which URLs our window may show, which senders IPC trusts, which external links may open,
 * the CSP, and the webPreferences every window gets. Electron's security checklist, item by item, lives here.
 */
import { fileURLToPath } from 'node:url';
import { posix, win32 } from 'node:path';

/**
 * The renderer is served from this privileged custom scheme (app-protocol.ts), not file://: a response header
 * reaches it (so the CSP below is the effective policy), it is a real origin ('self' means only our files), and
 * no file on disk outside the renderer dir can be addressed through it.
 */
export const APP_SCHEME = 'outpost';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * CSP sent as a response header on every page of the app (the custom scheme and the dev server). The renderer
 * talks to main over IPC only, so it connects nowhere (`connect-src 'none'`); in development only to Vite.
 */
export function appContentSecurityPolicy(devServerOrigin?: string | null): string {
  const connect = devServerOrigin
    ? `connect-src ${devServerOrigin} ${devServerOrigin.replace(/^http/, 'ws')}`
    : "connect-src 'none'";
  return [
    "default-src 'none'",
    `script-src 'self'${devServerOrigin ? ` ${devServerOrigin}` : ''}`,
    `style-src 'self'${devServerOrigin ? ` ${devServerOrigin}` : ''}`,
    "img-src 'self' data:",
    "font-src 'self'",
    connect,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export interface AppOrigin {
  /** Absolute path of the built renderer's index.html (served under APP_ORIGIN in production). */
  rendererIndex: string;
  /** Vite dev server origin (http://127.0.0.1:5173) when running in development, else null. */
  devServerOrigin: string | null;
  /** Path rules to apply (tests pass 'win32'); default: this machine's. */
  platform?: NodeJS.Platform;
}

/**
 * A file path in the one form comparisons use: normalised, and case-folded on Windows, where `C:\App` and
 * `c:\app` are the same file and Chromium reports the drive letter upper-case whatever the path we loaded said.
 */
export function canonicalPath(path: string, platform: NodeJS.Platform = process.platform): string {
  if (platform !== 'win32') return posix.normalize(path);
  return win32.normalize(path).toLowerCase();
}

function canonicalFileUrlPath(url: URL, platform: NodeJS.Platform): string | null {
  try {
    return canonicalPath(fileURLToPath(url, { windows: platform === 'win32' }), platform);
  } catch {
    return null;
  }
}

/**
 * True for URLs that are our own renderer: the app scheme, files under the renderer dir (compared canonically),
 * or the dev server in development.
 */
export function isAppUrl(raw: string, origin: AppOrigin): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol === `${APP_SCHEME}:`) return url.host === APP_HOST && !url.username && !url.password;
  if (url.protocol === 'file:') {
    const platform = origin.platform ?? process.platform;
    const path = canonicalFileUrlPath(url, platform);
    if (path === null) return false;
    const index = canonicalPath(origin.rendererIndex, platform);
    const sep = platform === 'win32' ? '\\' : '/';
    const root = index.slice(0, index.lastIndexOf(sep));
    return path === index || path.startsWith(root + sep);
  }
  if (origin.devServerOrigin && (url.protocol === 'http:' || url.protocol === 'https:')) {
    return url.origin === new URL(origin.devServerOrigin).origin;
  }
  return false;
}

export function rendererUrl(origin: AppOrigin): string {
  return origin.devServerOrigin ?? `${APP_ORIGIN}/index.html`;
}

/**
 * The one permission the app grants: writing sanitized text to the clipboard ("Copy device key", the admin
 * password), and only to our own pages. Everything else (camera, notifications, reading the clipboard…) is denied.
 */
export function isPermissionAllowed(
  permission: string,
  requestingUrl: string | null | undefined,
  origin: AppOrigin,
): boolean {
  return permission === 'clipboard-sanitized-write' && !!requestingUrl && isAppUrl(requestingUrl, origin);
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
