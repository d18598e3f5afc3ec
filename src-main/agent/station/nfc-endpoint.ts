import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isAgentError, describeError } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import type { RecordedCopy } from './station-store.js';

const log = createLogger('nfc');
const BODY_LIMIT = 4 * 1024;
export const NFC_SECRET_HEADER = 'x-nfc-secret';

/** `<dataDir>/nfc-secret`, 0600: the shared secret the external NFC daemon (seed 001) sends with each copy. */
export function nfcSecretPath(dataDir: string): string {
  return join(dataDir, 'nfc-secret');
}

export function loadOrCreateNfcSecret(dataDir: string): string {
  const file = nfcSecretPath(dataDir);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  }
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

const STATUS_OF: Record<string, number> = {
  VALIDATION_ERROR: 400,
  CLIENT_NOT_FOUND: 404,
  QUOTA_EXCEEDED: 409,
  // 507 Insufficient Storage: the reader should retry later, and the code says why.
  STORAGE_FULL: 507,
};

export interface NfcEndpoint {
  port: number;
  close(): Promise<void>;
}

/**
 * `POST http://127.0.0.1:<port>/nfc/copy {client_id, uid}` for the seed's external NFC daemon. Loopback only
 * (bound to 127.0.0.1 and the peer address re-checked), a shared secret compared in constant time, 4 KB bodies,
 * JSON errors `{ok:false, code, message}`. Browsers cannot use it: the custom header forces a CORS preflight we
 * never answer.
 */
export async function startNfcEndpoint(opts: {
  dataDir: string;
  port: number;
  recordCopy: (clientId: unknown, uid: unknown) => RecordedCopy;
}): Promise<NfcEndpoint> {
  const expected = digest(loadOrCreateNfcSecret(opts.dataDir));
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, code: string, message: string): void =>
      send(status, { ok: false, code, message });
    const peer = req.socket.remoteAddress ?? '';
    if (peer !== '127.0.0.1' && peer !== '::ffff:127.0.0.1' && peer !== '::1') {
      return fail(403, 'FORBIDDEN', 'loopback only');
    }
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/nfc/copy') return fail(404, 'ROUTE_NOT_FOUND', 'Route not found');
    if (req.method !== 'POST') return fail(405, 'METHOD_NOT_ALLOWED', 'Use POST');
    const given = req.headers[NFC_SECRET_HEADER];
    if (typeof given !== 'string' || !timingSafeEqual(digest(given), expected)) {
      return fail(401, 'UNAUTHORIZED', 'Missing or wrong X-NFC-Secret');
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return fail(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send application/json');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooLarge) return fail(413, 'PAYLOAD_TOO_LARGE', `Body over ${BODY_LIMIT} bytes`);
      let body: { client_id?: unknown; uid?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return fail(400, 'INVALID_JSON', 'Request body is not valid JSON');
      }
      if (!body || typeof body !== 'object') return fail(400, 'VALIDATION_ERROR', 'Send {client_id, uid}');
      try {
        const copy = opts.recordCopy(body.client_id, body.uid);
        send(200, {
          ok: true,
          uuid: copy.uuid,
          uid: copy.uid,
          client_id: copy.client_id,
          remaining: copy.remaining,
        });
      } catch (err) {
        if (isAgentError(err)) return fail(STATUS_OF[err.code] ?? 400, err.code, err.message);
        log.error({ err: describeError(err) }, 'nfc copy failed');
        fail(500, 'INTERNAL_ERROR', 'Could not record the copy');
      }
    });
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'NFC endpoint listening on loopback');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
