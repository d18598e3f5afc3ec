/**
 * The console's one HTTP path to a server's admin routes: the endpoint (URL and credential headers) comes from
 * the console session per call, answers are parsed with the schema the route answers with, and error
 * envelopes become AgentErrors with the server's code and message. A 401 on a stored sign-in tells the session,
 * which forgets it: the UI then says "Signed out: sign in again".
 */
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { AgentError, relayedCode } from '../errors.js';
import { USER_AGENT } from '../http/client.js';

export interface AdminEndpoint {
  url: string;
  /** The embedded server's key, or a key the operator pasted. */
  apiKey?: string;
  /** An operator's JWT from `/api/auth/login`. */
  bearer?: string;
  /** Called when the server refuses this credential (401): a stored sign-in is forgotten. */
  rejected?: () => Promise<void>;
}

/** The one bit of the error envelope (seed 002 / seed 004) the agent relays: its code and message. */
const ErrorEnvelope = z.object({
  code: z.string().optional(),
  error: z.string().optional(),
  message: z.string().optional(),
  /** Seed 002's `[{field, message}]` for a validation error; `{keys, total}` for keys already taken. */
  details: z
    .union([
      z.array(z.object({ field: z.string().optional(), message: z.string() })),
      z.object({ keys: z.array(z.string()), total: z.number() }),
    ])
    .optional()
    .catch(undefined),
});

/** The server's message with its details in words, so the operator reads which field or key is wrong. */
function withDetails(message: string, details: z.infer<typeof ErrorEnvelope>['details']): string {
  if (!details) return message;
  if (Array.isArray(details)) {
    const parts = details.slice(0, 5).map((d) => (d.field ? `${d.field}: ${d.message}` : d.message));
    return parts.length ? `${message}: ${parts.join('; ')}` : message;
  }
  const shown = details.keys.slice(0, 5).join(', ');
  return `${message}: ${shown}${details.total > 5 ? ` and ${details.total - 5} more` : ''}`;
}

export interface RawAnswer {
  status: number;
  text: string;
}

export class AdminHttp {
  private readonly http: AxiosInstance;

  constructor(
    private readonly endpoint: () => Promise<AdminEndpoint>,
    timeoutMs = 10_000,
  ) {
    // No proxy from the environment (an operator's console talks to the server the profile names), keep-alive,
    // raw text (parsed below with the route's schema).
    this.http = axios.create({
      timeout: timeoutMs,
      proxy: false,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 4 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 4 }),
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      maxContentLength: 256 * 1024 * 1024,
      headers: { 'User-Agent': USER_AGENT },
    });
  }

  /**
   * One request; any HTTP status resolves except 401, which ends a stored sign-in. Through axios like the rest
   * of the agent, not the global fetch: fetch would load Node's undici (~13 MB of RSS) into an agent that
   * otherwise never needs it.
   */
  async request(
    method: string,
    path: string,
    body?: unknown,
    accept = 'application/json',
  ): Promise<RawAnswer> {
    const ep = await this.endpoint();
    let res;
    try {
      res = await this.http.request<string>({
        method,
        url: `${ep.url}${path}`,
        headers: {
          accept,
          ...(ep.apiKey ? { 'x-api-key': ep.apiKey } : {}),
          ...(ep.bearer ? { authorization: `Bearer ${ep.bearer}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        data: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new AgentError(
        'NETWORK_ERROR',
        `The server at ${ep.url} did not answer: check that it runs and the profile URL in Settings`,
      );
    }
    const text = typeof res.data === 'string' ? res.data : '';
    if (res.status === 401 && ep.rejected) {
      await ep.rejected();
      throw new AgentError(
        'SIGNED_OUT',
        'Signed out: sign in again (the server no longer accepts this sign-in)',
      );
    }
    return { status: res.status, text };
  }

  /**
   * One admin call, its answer parsed with the schema the server's route answers with: a success of another
   * shape (an older or foreign server) is UNEXPECTED_RESPONSE naming the route and the first mismatch, never a
   * row of defaulted values.
   */
  async call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<z.output<S>> {
    const res = await this.request(method, path, body);
    const json = parseJson(res.text);
    throwUnlessOk(res.status, json);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw unexpected(method, path, json, parsed.error);
    return parsed.data;
  }

  /** Like call, for a route whose answer may be one of two shapes (an older server's, and today's). */
  async json(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.request(method, path, body);
    const json = parseJson(res.text);
    throwUnlessOk(res.status, json);
    return json;
  }

  async text(path: string, accept?: string): Promise<string> {
    const res = await this.request('GET', path, undefined, accept);
    if (res.status < 200 || res.status >= 300) throwUnlessOk(res.status, parseJson(res.text));
    return res.text;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function throwUnlessOk(status: number, json: unknown): void {
  if (status >= 200 && status < 300) return;
  const e = ErrorEnvelope.safeParse(json);
  const env = e.success ? e.data : {};
  const code = env.code ?? (status === 404 ? 'NOT_FOUND' : status === 403 ? 'FORBIDDEN' : 'SERVER_ERROR');
  const message = env.error ?? env.message ?? `Server answered HTTP ${status}`;
  throw new AgentError(relayedCode(code), withDetails(message, env.details));
}

export function unexpected(method: string, path: string, json: unknown, error: z.ZodError): AgentError {
  const issue = error.issues[0];
  const what =
    json === undefined
      ? 'not JSON'
      : `${issue?.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'wrong shape'}`;
  return new AgentError(
    'UNEXPECTED_RESPONSE',
    `The server's answer to ${method} ${path.split('?')[0]} is not what this agent expects (${what}): check that the server and the agent are the same version`,
  );
}
