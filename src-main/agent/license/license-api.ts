/**
 * Seed 002's public license routes as the agent calls them, with failures mapped to AgentErrors whose messages
 * tell the operator what to do. The license key is not a password, but it is still left out of log lines.
 */
import { AxiosError, type AxiosInstance } from 'axios';
import type { ActivateData, PublicKeyData } from '../../../src-shared/api/licenses.js';
import { AgentError, relayedCode } from '../errors.js';
import { serverCode, serverMessage } from '../http/client.js';

export function mapLicenseError(http: AxiosInstance, what: string, err: unknown): AgentError {
  if (err instanceof AgentError) return err;
  if (!(err instanceof AxiosError)) return new AgentError('INTERNAL_ERROR', `${what} failed: ${String(err)}`);
  const res = err.response;
  if (!res) {
    return new AgentError(
      'NETWORK_ERROR',
      `${what} failed: cannot reach ${http.defaults.baseURL ?? 'the server'}${err.code ? ` (${err.code})` : ''}. Check the server URL and connectivity.`,
    );
  }
  const said = serverMessage(err);
  const code = serverCode(err);
  switch (code) {
    case 'LICENSE_REVOKED':
      return new AgentError(code, 'License revoked (403): contact your administrator for a new key.');
    case 'LICENSE_EXPIRED':
      return new AgentError(code, 'License expired (403): renew it or use another key.');
    case 'LICENSE_IN_USE':
      return new AgentError(
        code,
        'License already in use on the maximum number of machines (409): deactivate it on another computer first.',
      );
    case 'NOT_FOUND':
      return new AgentError(
        code,
        `${what} failed (404): ${said ?? 'license not found'}. Check the license key.`,
      );
    case 'VALIDATION_ERROR':
      return new AgentError(code, `${what} rejected (400): ${said ?? 'invalid input'}.`);
    case 'RATE_LIMIT_EXCEEDED': {
      const after = res.headers['retry-after'];
      return new AgentError(
        code,
        `Too many attempts (429): wait${after ? ` ${String(after)} s` : ' a while'} and try again.`,
      );
    }
    default:
      return new AgentError(
        relayedCode(code),
        `${what} failed (${res.status}): ${said ?? 'unexpected server answer'}.`,
      );
  }
}

function data<T>(body: unknown, what: string): T {
  const b = body as { success?: unknown; data?: unknown } | null;
  if (!b || b.success !== true || typeof b.data !== 'object' || b.data === null) {
    throw new AgentError(
      'UNEXPECTED_RESPONSE',
      `${what}: the server answered something that is not seed 002 JSON`,
    );
  }
  return b.data as T;
}

export async function fetchPublicKey(http: AxiosInstance): Promise<PublicKeyData> {
  try {
    const res = await http.get('/api/licenses/public-key');
    return data<PublicKeyData>(res.data, 'Public key');
  } catch (err) {
    throw mapLicenseError(http, 'Fetching the license public key', err);
  }
}

export async function postActivate(
  http: AxiosInstance,
  body: { license_key: string; user_email: string; system_fingerprint: string },
): Promise<ActivateData> {
  try {
    const res = await http.post('/api/licenses/activate', body);
    return data<ActivateData>(res.data, 'Activation');
  } catch (err) {
    throw mapLicenseError(http, 'Activation', err);
  }
}

export async function postDeactivate(
  http: AxiosInstance,
  body: { license_key: string; system_fingerprint: string },
): Promise<void> {
  try {
    await http.post('/api/licenses/deactivate', body);
  } catch (err) {
    throw mapLicenseError(http, 'Deactivation', err);
  }
}

export async function postSystemReport(
  http: AxiosInstance,
  body: { license_id: string; fingerprint_hash: string; system_data: Record<string, unknown> },
): Promise<void> {
  try {
    await http.post('/api/systems', body);
  } catch (err) {
    throw mapLicenseError(http, 'System report', err);
  }
}
