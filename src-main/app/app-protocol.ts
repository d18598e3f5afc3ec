/**
 * Serves the built renderer under `outpost://app/` (a privileged standard scheme) instead of file://: every
 * response carries the strict CSP as a header (a header never reaches file:// pages), the page gets a real origin
 * of its own, and only files inside the renderer dir can be addressed (renderer-files.ts). This file is the only
 * Electron-facing part.
 */
import { protocol, type Session } from 'electron';
import { serveRendererFile } from './renderer-files.js';
import { APP_SCHEME } from './security-policy.js';

/**
 * Must run before the app is ready (Electron fixes scheme privileges at start-up). standard: a real origin for
 * 'self' and relative URLs; secure: a secure context; supportFetchAPI + corsEnabled: Vite's
 * `<script type="module" crossorigin>` loads through fetch in CORS mode.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
    },
  ]);
}

export function handleAppProtocol(ses: Session, rendererRoot: string, csp: string): void {
  ses.protocol.handle(APP_SCHEME, (request) => serveRendererFile(request, rendererRoot, csp));
}
