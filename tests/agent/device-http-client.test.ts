/** The per-profile axios client: retries only idempotent calls on network errors / 5xx, honours timeout and TLS. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AxiosError } from 'axios';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient, USER_AGENT } from '../../src-main/agent/http/client.js';
import type { Profile } from '../../src-main/agent/settings/settings.js';

let server: Server;
let base = '';
let hits = 0;
let failFirst = 0;
let lastUa = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    lastUa = req.headers['user-agent'] ?? '';
    if (req.url === '/slow') return; // never answers
    if (hits <= failFirst) {
      res.statusCode = 503;
      res.end('{"success":false,"error":"busy"}');
      return;
    }
    if (req.url === '/bad') {
      res.statusCode = 400;
      res.end('{"success":false,"error":"bad"}');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, method: req.method }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  hits = 0;
  failFirst = 0;
});

const profile = (p: Partial<Profile> = {}): Profile => ({
  name: 't',
  base_url: base,
  timeout: 5,
  retries: 3,
  verify_tls: true,
  ...p,
});

describe('http client', () => {
  it('retries a GET through two 503s and succeeds, with our User-Agent', async () => {
    failFirst = 2;
    const res = await createHttpClient(profile(), { retryBaseMs: 5 }).get('/x');
    expect(res.data).toEqual({ ok: true, method: 'GET' });
    expect(hits).toBe(3);
    expect(lastUa).toBe(USER_AGENT);
  });

  it('gives up after `retries` attempts on persistent 5xx', async () => {
    failFirst = 100;
    await expect(
      createHttpClient(profile({ retries: 2 }), { retryBaseMs: 5 }).put('/x', {}),
    ).rejects.toBeInstanceOf(AxiosError);
    expect(hits).toBe(3);
  });

  it('never replays a POST (registration burns a token)', async () => {
    failFirst = 1;
    await expect(createHttpClient(profile(), { retryBaseMs: 5 }).post('/x', {})).rejects.toMatchObject({
      response: { status: 503 },
    });
    expect(hits).toBe(1);
  });

  it('does not retry a 4xx', async () => {
    await expect(createHttpClient(profile(), { retryBaseMs: 5 }).get('/bad')).rejects.toMatchObject({
      response: { status: 400 },
    });
    expect(hits).toBe(1);
  });

  it('retries a GET on connection refused, then fails with the network code', async () => {
    const c = createHttpClient(profile({ base_url: 'http://127.0.0.1:9', retries: 1 }), { retryBaseMs: 5 });
    await expect(c.get('/x')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('applies the profile timeout (seconds)', async () => {
    const c = createHttpClient(profile({ timeout: 0.2, retries: 0 }));
    await expect(c.get('/slow')).rejects.toMatchObject({ code: 'ECONNABORTED' });
  });

  it('TLS verification follows the profile', () => {
    const strict = createHttpClient(profile({ base_url: 'https://127.0.0.1:1' }));
    const lax = createHttpClient(profile({ base_url: 'https://127.0.0.1:1', verify_tls: false }));
    expect(
      (strict.defaults.httpsAgent as { options: { rejectUnauthorized: boolean } }).options.rejectUnauthorized,
    ).toBe(true);
    expect(
      (lax.defaults.httpsAgent as { options: { rejectUnauthorized: boolean } }).options.rejectUnauthorized,
    ).toBe(false);
  });
});
