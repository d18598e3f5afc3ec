/**
 * One axios instance per profile: base URL, timeout (profile seconds → ms), TLS verification per profile
 * (self-signed lab servers set verify_tls:false, a warning is logged), keep-alive sockets, and retries with
 * exponential backoff + full jitter for network errors and 5xx — on idempotent methods only (GET/HEAD/OPTIONS/
 * PUT/DELETE). POSTs (registration burns a token, heartbeats have their own backoff loop) are never replayed here.
 */
import { backoffDelay } from '../../../src-shared/backoff.js';
import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { createLogger } from '../logging/logger.js';
import type { Profile } from '../settings/settings.js';

const log = createLogger('http');
const IDEMPOTENT = new Set(['get', 'head', 'options', 'put', 'delete']);
const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_NETWORK',
]);
export const USER_AGENT = 'Outpost-Agent/0.1';

interface RetryState {
  __retryCount?: number;
}

export interface HttpClientOptions {
  /** Base delay of the retry backoff (ms); tests make it small. */
  retryBaseMs?: number;
  /** Sees the `Date` header of every answer (success or error status): the agent's server clock measures it. */
  onServerDate?: (date: unknown) => void;
}

export function isRetryable(err: AxiosError): boolean {
  if (err.response) return err.response.status >= 500;
  return err.code !== undefined && RETRYABLE_CODES.has(err.code);
}

export function createHttpClient(profile: Profile, opts: HttpClientOptions = {}): AxiosInstance {
  if (!profile.verify_tls && profile.base_url.startsWith('https:')) {
    log.warn({ profile: profile.name }, 'TLS certificate verification is disabled for this profile');
  }
  const client = axios.create({
    baseURL: profile.base_url.replace(/\/+$/, ''),
    timeout: Math.round(profile.timeout * 1000),
    headers: { 'User-Agent': USER_AGENT },
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 8 }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: profile.verify_tls }),
    // No proxies from the environment by surprise: the agent talks to the configured server only.
    proxy: false,
  });
  const base = opts.retryBaseMs ?? 300;
  const onDate = opts.onServerDate;
  client.interceptors.response.use(
    (res) => {
      onDate?.(res.headers.date);
      return res;
    },
    async (error: unknown) => {
      if (error instanceof AxiosError && error.response) onDate?.(error.response.headers.date);
      if (!(error instanceof AxiosError) || !error.config) throw error;
      const config = error.config as InternalAxiosRequestConfig & RetryState;
      const method = (config.method ?? 'get').toLowerCase();
      const attempt = config.__retryCount ?? 0;
      if (!IDEMPOTENT.has(method) || attempt >= profile.retries || !isRetryable(error)) throw error;
      config.__retryCount = attempt + 1;
      const delay = backoffDelay(attempt, { baseMs: base, capMs: 30_000 });
      log.debug(
        { url: config.url, method, attempt: attempt + 1, delay_ms: Math.round(delay) },
        'retrying request',
      );
      await new Promise((r) => setTimeout(r, delay));
      return client.request(config);
    },
  );
  return client;
}

/** Server message from a seed-004 `{ok:false,message}` or seed-002 `{success:false,error}` body, if any. */
export function serverMessage(err: AxiosError): string | undefined {
  const data = err.response?.data as { message?: unknown; error?: unknown } | undefined;
  if (data && typeof data.message === 'string') return data.message;
  if (data && typeof data.error === 'string') return data.error;
  return undefined;
}

export function serverCode(err: AxiosError): string | undefined {
  const data = err.response?.data as { code?: unknown } | undefined;
  return data && typeof data.code === 'string' ? data.code : undefined;
}
