/**
 * The device routes of seed 004 as the agent calls them, with the seed's error table mapped to operator
 * messages ("what happened (status): what to do"). Secrets travel only in the Authorization header and are never
 * part of a message.
 */
import { AxiosError, type AxiosInstance } from 'axios';
import type { RegisterResponse } from '../../../src-shared/api/devices.js';
import { AgentError, relayedCode } from '../errors.js';
import type { HeartbeatErrorKind } from '../events.js';
import { serverCode, serverMessage } from '../http/client.js';
import type { DeviceInfo } from '../identity/index.js';
import { boundedServerInterval } from './server-interval.js';

const enc = encodeURIComponent;
const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

function networkError(http: AxiosInstance, err: AxiosError): AgentError {
  const code = err.code ? ` (${err.code})` : '';
  return new AgentError(
    'NETWORK_ERROR',
    `Connection failed: cannot reach ${http.defaults.baseURL ?? 'the server'}${code}. Check the server URL and connectivity.`,
  );
}

/** A 404 that is not our server's "device not found": the profile URL leads somewhere else. */
export function wrongUrlError(http: AxiosInstance, status: number): AgentError {
  return new AgentError(
    'WRONG_SERVER_URL',
    `The server URL looks wrong (${status} on the device routes): ${http.defaults.baseURL ?? 'the URL'} does not answer like an Outpost server. Check the profile URL in Settings; the registration itself is fine.`,
  );
}

export function mapRegisterError(http: AxiosInstance, key: string, err: unknown): AgentError {
  if (!(err instanceof AxiosError))
    return err instanceof AgentError ? err : new AgentError('INTERNAL_ERROR', String(err));
  const res = err.response;
  if (!res) return networkError(http, err);
  const said = serverMessage(err);
  switch (res.status) {
    case 404:
      // Our server says DEVICE_NOT_FOUND; any other 404 means the URL does not lead to an Outpost server.
      if (serverCode(err) !== 'DEVICE_NOT_FOUND') return wrongUrlError(http, res.status);
      return new AgentError(
        'DEVICE_NOT_FOUND',
        `Device not found (404): the server has no device "${key}". Contact your administrator to create it (or check the device key).`,
      );
    case 401:
      // A mistyped token does not use up the right one (the server burns a token only on success), so the
      // first advice is to check the typing; only a token typed right needs replacing.
      return new AgentError(
        'TOKEN_INVALID',
        'Invalid token (401): check that it is typed exactly as given (a mistyped token does not use up the right one, which still works). If it is typed right, it has expired or was already used: ask your administrator for a new one.',
      );
    case 409:
      return new AgentError(
        'ALREADY_REGISTERED',
        'Already registered (409): this device already has an active registration. Unregister it first or use a new token.',
      );
    case 429: {
      const after = res.headers['retry-after'];
      return new AgentError(
        'RATE_LIMITED',
        `Too many registration attempts (429): wait${after ? ` ${String(after)} s` : ' a minute'} and try again.`,
      );
    }
    case 400:
      return new AgentError('VALIDATION_ERROR', `Registration rejected (400): ${said ?? 'invalid request'}.`);
    default:
      return new AgentError(
        relayedCode(serverCode(err)),
        `Registration failed (${res.status}): ${said ?? 'unexpected server answer'}. Try again later.`,
      );
  }
}

export async function registerDevice(
  http: AxiosInstance,
  key: string,
  token: string,
  info: DeviceInfo,
): Promise<RegisterResponse> {
  try {
    const res = await http.post<RegisterResponse>(`/api/devices/${enc(key)}/register`, {
      ...info,
      token_code: token,
    });
    if (
      !res.data ||
      res.data.ok !== true ||
      typeof res.data.device_secret !== 'string' ||
      !res.data.device_secret
    ) {
      throw new AgentError(
        'UNEXPECTED_RESPONSE',
        'Registration failed: the server answered without a device secret.',
      );
    }
    return res.data;
  } catch (err) {
    throw mapRegisterError(http, key, err);
  }
}

export type BeatOutcome =
  | {
      ok: true;
      message: string;
      latency_ms: number;
      /** The interval the server asked for, already bounded (server-interval.ts); absent when it gave none usable. */
      server_interval_sec?: number;
    }
  | { ok: false; fatal: boolean; kind: HeartbeatErrorKind; message: string; latency_ms: number | null };

/** One heartbeat. Never throws: the loop decides what an outcome means. */
export async function sendHeartbeat(
  http: AxiosInstance,
  key: string,
  secret: string,
  info: DeviceInfo,
): Promise<BeatOutcome> {
  const t0 = performance.now();
  try {
    const res = await http.post<{ ok?: boolean; message?: string; next_heartbeat_sec?: unknown }>(
      `/api/devices/${enc(key)}/online`,
      info,
      {
        headers: bearer(secret),
      },
    );
    const latency = Math.round(performance.now() - t0);
    const server_interval_sec = boundedServerInterval(res.data?.next_heartbeat_sec) ?? undefined;
    return {
      ok: true,
      message: res.data?.message ?? 'Heartbeat accepted',
      latency_ms: latency,
      ...(server_interval_sec === undefined ? {} : { server_interval_sec }),
    };
  } catch (err) {
    const latency = Math.round(performance.now() - t0);
    if (!(err instanceof AxiosError))
      return { ok: false, fatal: false, kind: 'server', message: String(err), latency_ms: null };
    const res = err.response;
    if (!res)
      return {
        ok: false,
        fatal: false,
        kind: 'network',
        message: networkError(http, err).message,
        latency_ms: null,
      };
    const code = serverCode(err);
    if (res.status === 404 && code !== 'DEVICE_NOT_FOUND') {
      // Not fatal: the operator fixes the URL in Settings and the next beat finds the device again.
      return {
        ok: false,
        fatal: false,
        kind: 'wrong_url',
        message: wrongUrlError(http, res.status).message,
        latency_ms: latency,
      };
    }
    if (res.status === 401 || res.status === 404) {
      const why =
        res.status === 404
          ? 'the server no longer knows this device'
          : code === 'DEVICE_REVOKED'
            ? 'the device was revoked'
            : 'the server refused the device credentials';
      return {
        ok: false,
        fatal: true,
        kind: 'refused',
        message: `Heartbeat refused (${res.status}): ${why}. Re-registration needed: ask your administrator for a new token.`,
        latency_ms: latency,
      };
    }
    return {
      ok: false,
      fatal: false,
      kind: 'server',
      message: `Heartbeat failed (${res.status}): ${serverMessage(err) ?? 'server error'}`,
      latency_ms: latency,
    };
  }
}

export async function fetchServerHostKey(http: AxiosInstance): Promise<string> {
  const res = await http.get<string>('/api/ssh-hostkey', { responseType: 'text' });
  return String(res.data).trim();
}

export async function publishSshKey(
  http: AxiosInstance,
  key: string,
  secret: string,
  pubkey: string,
): Promise<void> {
  await http.put(`/api/devices/${enc(key)}/ssh-key`, { pubkey }, { headers: bearer(secret) });
}
