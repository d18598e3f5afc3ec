/**
 * The app scheme's file server (see app-protocol.ts), plain Node so tests run it without Electron: only files
 * inside the renderer dir, every answer with the strict CSP as a header.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from './security-policy.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** One request for `outpost://app/<path>`: the file under rendererRoot, or 404/405 with the same headers. */
export async function serveRendererFile(
  request: Pick<Request, 'url' | 'method'>,
  rendererRoot: string,
  csp: string,
): Promise<Response> {
  const headers = {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  };
  const refuse = (status: number) => new Response(null, { status, headers });
  if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405);
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return refuse(404);
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return refuse(404);
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname);
  } catch {
    return refuse(404);
  }
  if (relative === '/' || relative === '') relative = '/index.html';
  const root = resolve(rendererRoot);
  const file = resolve(join(root, relative));
  // Encoded dot segments or separators survive URL parsing: the resolved path must still be inside the root.
  if (relative.includes('\0') || !file.startsWith(root + sep)) return refuse(404);
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return refuse(404);
  }
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
    status: 200,
    headers: { ...headers, 'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' },
  });
}
