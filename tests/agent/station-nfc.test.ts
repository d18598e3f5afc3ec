import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nfcSecretPath } from '../../src-main/agent/station/nfc-endpoint.js';
import { openStationDb } from '../../src-main/agent/station/station-db.js';
import { StationStore } from '../../src-main/agent/station/station-store.js';
import { makeStation, type TestStation } from './station-helpers.js';

let st: TestStation;
let base: string;
let secret: string;

beforeEach(async () => {
  // No server needed: the endpoint records locally. Quotas are seeded as a pull would.
  st = makeStation('http://127.0.0.1:9', { nfcPort: 0, healthIntervalMs: 3_600_000 });
  await st.svc.start();
  const db = openStationDb(st.dataDir); // a second connection to the same file, as a pull would write it
  new StationStore(db).applyServerQuotas([{ client_id: 1, remaining: 2 }]);
  db.close();
  base = `http://127.0.0.1:${st.svc.diagnostics().nfc_port}`;
  secret = readFileSync(nfcSecretPath(st.dataDir), 'utf8').trim();
});
afterEach(() => st.dispose());

const post = (body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${base}/nfc/copy`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('loopback NFC endpoint', () => {
  it('the shared secret file is 0600 and 64 hex chars', () => {
    expect(statSync(nfcSecretPath(st.dataDir)).mode & 0o777).toBe(0o600);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records a copy with the right secret and answers the uuid and remaining', async () => {
    const res = await post(JSON.stringify({ client_id: 1, uid: '04:ab:12:cd' }), { 'x-nfc-secret': secret });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, uid: '04AB12CD', client_id: 1, remaining: 1 });
    expect(st.svc.queue().counts.pending).toBe(1);
  });

  it.each([
    ['no secret header', {}],
    ['wrong secret', { 'x-nfc-secret': 'nope' }],
    ['secret with one char changed', { 'x-nfc-secret': '' }],
  ])('refuses %s with 401 and records nothing', async (_name, headers: Record<string, string>) => {
    const h = { ...headers };
    if ('x-nfc-secret' in h && h['x-nfc-secret'] === '')
      h['x-nfc-secret'] = (secret[0] === 'a' ? 'b' : 'a') + secret.slice(1);
    const res = await post(JSON.stringify({ client_id: 1, uid: '04AB12CD' }), h);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    expect(st.svc.queue().counts.pending).toBe(0);
  });

  it.each([
    ['bad JSON', '{"client_id":1,', 400, 'INVALID_JSON'],
    ['5-byte UID', JSON.stringify({ client_id: 1, uid: '04AB12CD34' }), 400, 'VALIDATION_ERROR'],
    ['missing uid', JSON.stringify({ client_id: 1 }), 400, 'VALIDATION_ERROR'],
    ['unknown client', JSON.stringify({ client_id: 42, uid: '04AB12CD' }), 404, 'CLIENT_NOT_FOUND'],
    [
      'body over 4 KB',
      JSON.stringify({ client_id: 1, uid: '04AB12CD', pad: 'x'.repeat(5000) }),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ])('answers %s with a clear JSON error', async (_name, body, status, code) => {
    const res = await post(body, { 'x-nfc-secret': secret });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ ok: false, code });
  });

  it('answers QUOTA_EXCEEDED (409) once the local quota is used up', async () => {
    for (const expected of [200, 200, 409]) {
      const res = await post(JSON.stringify({ client_id: 1, uid: '04AB12CD' }), { 'x-nfc-secret': secret });
      expect(res.status).toBe(expected);
    }
  });

  it('refuses GET (405), other paths (404) and a text/plain body (415)', async () => {
    expect((await fetch(`${base}/nfc/copy`, { headers: { 'x-nfc-secret': secret } })).status).toBe(405);
    expect((await fetch(`${base}/other`, { method: 'POST' })).status).toBe(404);
    const res = await fetch(`${base}/nfc/copy`, {
      method: 'POST',
      body: '{}',
      headers: { 'x-nfc-secret': secret, 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(415);
  });

  it('listens on 127.0.0.1 only (not on other local addresses)', async () => {
    const port = st.svc.diagnostics().nfc_port!;
    const reachable = (host: string): Promise<boolean> =>
      new Promise((resolve) => {
        const s = net.connect(port, host);
        s.once('connect', () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      });
    expect(await reachable('127.0.0.1')).toBe(true);
    expect(await reachable('::1')).toBe(false);
  });
});
