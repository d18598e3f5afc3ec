import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeartbeatBody } from '../../../src-shared/api/devices.js';
import { AppError, errorBody, fieldIssues } from '../errors.js';
import type { ServerMetrics } from '../metrics.js';
import type { DeviceGate } from './heartbeat.js';
import { depthError, exceedsJsonDepth } from '../json-depth.js';

const PATH = /^\/api\/devices\/([A-Za-z0-9._-]{3,64})\/online$/;
/** Bigger bodies (the route allows 1 MB, and then fails validation) take the ordinary Fastify route. */
const MAX_BODY = 16 * 1024;
const JSON_TYPE = /^application\/json\s*(?:;|$)/i;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The heartbeat route without the framework. At 17k+ heartbeats/s on 2 cores Fastify's per-request machinery
 * (hook chains, promise wrapping, reply object, schema validators) cost more than the heartbeat itself, and the
 * benchmark target is 0.6 × a bare node:http server. So `POST /api/devices/:key/online` is answered straight from
 * the http server's 'request' event, with the same zod schema, the same DeviceGate (auth + write-behind record),
 * the same error envelope and the same metrics as the Fastify route, which stays registered for everything this
 * path declines: chunked or large bodies, other content types, query strings, a trusted proxy (request.ip
 * semantics), and every request once the server is closing (Fastify answers 503 / Connection: close then).
 */
export function installHeartbeatFastPath(
  app: FastifyInstance,
  gate: DeviceGate,
  metrics: ServerMetrics,
  opts: { trustProxy: boolean },
): boolean {
  const server = app.server;
  const listeners = server.listeners('request') as Handler[];
  // Anything but Fastify's single handler (a serverFactory, HTTP/2) is left alone.
  if (opts.trustProxy || listeners.length !== 1) return false;
  const fastify = listeners[0]!;
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  // The label lookup of http_requests_total is cached for the one status that matters at 17k/s.
  const ok200 = metrics.httpRequests.labels({ method: 'POST', status: '200' });
  const send = (res: ServerResponse, status: number, payload: unknown): void => {
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    if (status === 200) ok200.inc();
    else metrics.httpRequests.inc({ method: 'POST', status: String(status) });
  };
  const fail = (res: ServerResponse, err: AppError): void =>
    send(res, err.status, errorBody('ok', err.code, err.message, err.details));

  const answer = async (req: IncomingMessage, res: ServerResponse, key: string, raw: string | null) => {
    let body: unknown = null;
    if (raw !== null) {
      if (exceedsJsonDepth(raw)) return fail(res, depthError());
      try {
        body = JSON.parse(raw);
      } catch {
        return fail(res, new AppError('INVALID_JSON', 'Request body is not valid JSON'));
      }
      // Same as Fastify's onProtoPoisoning/onConstructorPoisoning: 'error'.
      if ((raw.includes('__proto__') || raw.includes('constructor')) && poisoned(body)) {
        return fail(res, new AppError('INVALID_JSON', 'Request body is not valid JSON'));
      }
    }
    const parsed = HeartbeatBody.safeParse(body);
    if (!parsed.success) {
      return fail(
        res,
        new AppError('VALIDATION_ERROR', 'Validation failed', fieldIssues(parsed.error.issues, 'body')),
      );
    }
    try {
      const pending = gate.authenticate(key, req.headers.authorization);
      if (pending) await pending;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      gate.countRejected();
      return fail(res, err);
    }
    send(res, 200, gate.record(key, parsed.data, req.socket.remoteAddress ?? ''));
  };

  server.removeListener('request', fastify);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const key = closing ? undefined : eligible(req);
    if (key === undefined) return fastify.call(server, req, res);
    const hasBody = req.headers['content-type'] !== undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      // A heartbeat body is one chunk almost always: decode it without the copy Buffer.concat makes.
      const raw = !hasBody
        ? null
        : chunks.length === 1
          ? chunks[0]!.toString('utf8')
          : Buffer.concat(chunks).toString('utf8');
      if (raw === '') return fail(res, new AppError('INVALID_JSON', 'Request body is not valid JSON'));
      answer(req, res, key, raw).catch((err: unknown) => {
        app.log.error({ err }, 'heartbeat fast path failed');
        if (!res.headersSent) send(res, 500, errorBody('ok', 'INTERNAL_ERROR', 'Internal server error'));
      });
    });
  });
  return true;
}

/** The device key when this request is one the fast path serves exactly like the Fastify route. */
function eligible(req: IncomingMessage): string | undefined {
  if (req.method !== 'POST' || !req.url) return undefined;
  const m = PATH.exec(req.url);
  if (!m) return undefined;
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  const len = req.headers['content-length'];
  const n = len === undefined ? 0 : Number(len);
  if (!Number.isInteger(n) || n < 0 || n > MAX_BODY) return undefined;
  const type = req.headers['content-type'];
  if (type === undefined ? n !== 0 : !JSON_TYPE.test(type)) return undefined;
  return m[1];
}

/** secure-json-parse's rule: an own `__proto__` key, or `constructor` holding a `prototype`, anywhere. */
function poisoned(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return true;
  const ctor = (value as Record<string, unknown>).constructor;
  if (
    Object.prototype.hasOwnProperty.call(value, 'constructor') &&
    ctor !== null &&
    typeof ctor === 'object' &&
    Object.prototype.hasOwnProperty.call(ctor, 'prototype')
  ) {
    return true;
  }
  return Object.values(value).some(poisoned);
}
