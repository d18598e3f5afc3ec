import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERRORS, type ErrorCode, type FieldIssue } from '../../src-shared/errors.js';

/**
 * A failure a route decided on. Routes throw `new AppError('NOT_FOUND', 'License not found')`; the one error
 * handler below turns it into the right envelope and status. Anything that is not an AppError becomes a generic
 * 500 without its message (no stack traces or SQL text ever reach a client).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message?: string, details?: unknown, headers?: Record<string, string>) {
    super(message ?? ERRORS[code].message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

/**
 * Which error envelope a route answers with. `/api/*` speaks seed 002's `{success:false, error, code}`; the
 * device routes of seed 004 speak `{ok:false, message, code}`. A route family sets it with
 * `app.addHook('onRequest', useEnvelope('ok'))` or per route in `config: { envelope: 'ok' }`.
 */
export type Envelope = 'success' | 'ok';

declare module 'fastify' {
  interface FastifyContextConfig {
    envelope?: Envelope;
  }
}

export function envelopeFor(request: FastifyRequest): Envelope {
  return request.routeOptions?.config?.envelope ?? 'success';
}

export function errorBody(envelope: Envelope, code: ErrorCode, message: string, details?: unknown): object {
  const body: Record<string, unknown> =
    envelope === 'ok' ? { ok: false, message, code } : { success: false, error: message, code };
  if (details !== undefined) body.details = details;
  return body;
}

export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  message?: string,
  details?: unknown,
): FastifyReply {
  return reply
    .code(ERRORS[code].status)
    .send(errorBody(envelopeFor(request), code, message ?? ERRORS[code].message, details));
}

/** zod issues → seed 002's `[{field, message}]`. */
export function fieldIssues(
  issues: ReadonlyArray<{ path?: ReadonlyArray<PropertyKey>; message: string }>,
  prefix?: string,
): FieldIssue[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map(String).join('.');
    return { field: [prefix, path].filter(Boolean).join('.') || (prefix ?? 'body'), message: issue.message };
  });
}

/**
 * Errors Fastify raises before routing (`frameworkErrors` option): a malformed percent-encoding in the URL, a path
 * parameter over maxParamLength. Without this they answer Fastify's own `{error, code: 'FST_ERR_*', message}`
 * instead of our envelope. No route is known yet, so the envelope follows the URL (seed 004's device routes).
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const url = request.raw.url ?? '';
  const envelope: Envelope = url.startsWith('/api/devices/') ? 'ok' : 'success';
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'Path parameter too long' : 'Malformed URL';
  void reply.code(400).send(errorBody(envelope, 'BAD_REQUEST', message));
}

/**
 * Failures Node's HTTP parser reports before Fastify sees a request (`clientErrorHandler` option): headers or URL
 * over 16 KB, a malformed request line, a request timeout. Fastify's default answers without our `code`; this
 * writes the same envelope as every other error. A reset connection has nobody to answer.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ErrorCode =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? 'HEADERS_TOO_LARGE'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'REQUEST_TIMEOUT'
        : 'BAD_REQUEST';
  const { status, message } = ERRORS[code];
  const body = JSON.stringify(errorBody('success', code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Maps every failure Fastify or a route can raise to one of the catalogue's codes. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (error instanceof AppError) {
      if (error.headers) void reply.headers(error.headers);
      return sendError(request, reply, error.code, error.message, error.details);
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = (error as FastifyError).validationContext ?? 'body';
      const details = error.validation.map((v) => ({
        field: [where, (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')]
          .filter(Boolean)
          .join('.'),
        message: v.message ?? 'Invalid value',
      }));
      return sendError(request, reply, 'VALIDATION_ERROR', 'Validation failed', details);
    }
    const fe = error as FastifyError;
    switch (fe.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(request, reply, 'INVALID_JSON', 'Request body is not valid JSON');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(request, reply, 'PAYLOAD_TOO_LARGE', 'Request body too large (limit 1 MB)');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendError(request, reply, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json');
      case 'FST_ERR_VALIDATION':
        return sendError(request, reply, 'VALIDATION_ERROR', 'Validation failed', [
          { field: fe.validationContext ?? 'body', message: fe.message },
        ]);
      default:
        break;
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode === 429) {
      return sendError(request, reply, 'RATE_LIMIT_EXCEEDED');
    }
    if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
      // A client error raised by Fastify or a plugin: keep the status, never the internals.
      return reply.code(fe.statusCode).send(errorBody(envelopeFor(request), 'BAD_REQUEST', 'Bad request'));
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(request, reply, 'INTERNAL_ERROR');
  });

  app.setNotFoundHandler((request, reply) => {
    // The path helps whoever mistyped a URL, but is the caller's own input: echoed only when it is short and
    // plain (no markup, no control or encoded characters, not a 16 KB blob).
    const path = request.url.split('?')[0] ?? '';
    const shown = /^\/[A-Za-z0-9/_.:-]{0,127}$/.test(path) ? ` ${path}` : '';
    return sendError(request, reply, 'ROUTE_NOT_FOUND', `Route ${request.method}${shown} not found`);
  });
}
