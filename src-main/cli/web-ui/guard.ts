/**
 * Who may talk to the headless web bridge: requests whose Host is our loopback address and port (a DNS-rebinding
 * page has another Host), whose Origin, when present, is ours, and that carry the per-launch token (cookie after
 * the `?token=` exchange, or the header for non-browser clients). Pure functions, so tests pin each rule.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { BRIDGE_TOKEN_HEADER, bridgeCookieName } from '../../../src-shared/ipc/bridge-protocol.js';

// The bridge listens on 127.0.0.1 only; 'localhost' resolves there. (IPv6 literals are not valid CSP sources.)
export const LOOPBACK_NAMES = ['127.0.0.1', 'localhost'];

export function allowedHosts(port: number): Set<string> {
  return new Set(LOOPBACK_NAMES.map((h) => `${h}:${port}`));
}

export function allowedOrigins(port: number): Set<string> {
  return new Set(LOOPBACK_NAMES.map((h) => `http://${h}:${port}`));
}

export function hostAllowed(headers: IncomingHttpHeaders, port: number): boolean {
  const host = headers.host?.toLowerCase();
  return host !== undefined && allowedHosts(port).has(host);
}

/** Absent Origin passes here (same-origin GET navigations omit it); callers that need one check `hasOrigin`. */
export function originAllowed(headers: IncomingHttpHeaders, port: number): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  return allowedOrigins(port).has(origin.toLowerCase());
}

export function tokenEquals(given: string | undefined | null, token: string): boolean {
  if (typeof given !== 'string' || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

export function readCookie(headers: IncomingHttpHeaders, name: string): string | null {
  const raw = headers.cookie;
  if (!raw) return null;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export type AuthVia = 'cookie' | 'header' | null;

/** Which credential authorised the request, if any. */
export function authorised(headers: IncomingHttpHeaders, port: number, token: string): AuthVia {
  if (tokenEquals(readCookie(headers, bridgeCookieName(port)), token)) return 'cookie';
  const h = headers[BRIDGE_TOKEN_HEADER];
  if (tokenEquals(Array.isArray(h) ? h[0] : h, token)) return 'header';
  return null;
}

export function sessionCookie(port: number, token: string): string {
  return `${bridgeCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/**
 * CSP for the renderer page: only our own scripts, styles and connections (ws to ourselves for events), no
 * plugins, no framing, no base-tag tricks. connect-src names exactly one ws origin: the host the page was served
 * under (`127.0.0.1:port` or `localhost:port`, already checked by `hostAllowed`), since that is the one the page's
 * event socket opens. Anything else (no Host, a foreign one) falls back to the address the bridge listens on.
 */
export function contentSecurityPolicy(port: number, host?: string): string {
  const served = host?.toLowerCase();
  const ws = `ws://${served !== undefined && allowedHosts(port).has(served) ? served : `127.0.0.1:${port}`}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${ws}`,
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
  'cache-control': 'no-store',
};
