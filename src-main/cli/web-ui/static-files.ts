/**
 * Serves the built renderer (vite's dist/renderer) read-only: files under the root only (no `..`, no symlink
 * escapes past realpath), no directory listing, index.html for `/` and for extension-less paths (client routes).
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export type StaticResult = { file: string; type: string; size: number } | null;

export async function resolveStatic(root: string, pathname: string): Promise<StaticResult> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const realRoot = await realpath(root).catch(() => null);
  if (!realRoot) return null;
  const wantsIndex = decoded === '/' || decoded === '' || extname(decoded) === '';
  const candidate = wantsIndex ? join(realRoot, 'index.html') : resolve(realRoot, `.${decoded}`);
  const real = await realpath(candidate).catch(() => null);
  if (!real || (real !== realRoot && !real.startsWith(realRoot + sep))) return null;
  const st = await stat(real).catch(() => null);
  if (!st?.isFile()) return null;
  return {
    file: real,
    type: TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream',
    size: st.size,
  };
}

export function sendFile(res: ServerResponse, found: NonNullable<StaticResult>, head: boolean): void {
  res.writeHead(200, { 'content-type': found.type, 'content-length': String(found.size) });
  if (head) {
    res.end();
    return;
  }
  createReadStream(found.file)
    .on('error', () => res.destroy())
    .pipe(res);
}
