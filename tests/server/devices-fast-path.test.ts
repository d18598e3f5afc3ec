import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { bearer, enrolled } from './devices-helpers.js';

/**
 * Real-HTTP heartbeats are answered by the raw fast path (src-main/server/devices/fast-path.ts); a query string
 * makes the same request take the Fastify route. Both must answer the same for every case.
 */
describe('heartbeat fast path answers exactly like the Fastify route', () => {
  let srv: TestServer;
  let dev: { key: string; secret: string };
  let other: { key: string; secret: string };
  beforeAll(async () => {
    srv = await startTestServer();
    dev = await enrolled(srv);
    other = await enrolled(srv);
  });
  afterAll(async () => {
    await srv.dispose();
  });

  /** Both paths; the server_time of a success differs, everything else must not. */
  const both = async (body: unknown, headers: Record<string, string>, key = dev.key) => {
    const fast = await srv.api('POST', `/api/devices/${key}/online`, body, headers);
    const slow = await srv.api('POST', `/api/devices/${key}/online?via=fastify`, body, headers);
    return { fast, slow };
  };
  const same = (fast: { status: number; body: unknown; headers: Headers }, slow: typeof fast) => {
    expect(fast.status).toBe(slow.status);
    expect(fast.headers.get('content-type')).toBe(slow.headers.get('content-type'));
    const strip = (b: unknown) => ({ ...(b as object), server_time: undefined });
    expect(strip(fast.body)).toEqual(strip(slow.body));
  };

  it.each([
    ['a full seed payload', { ip_lan: '10.0.0.1', mac: 'AA', note: 'n' }],
    ['an empty object', {}],
    ['null fields', { mac: null, note: null }],
    ['unknown fields (stripped)', { is_admin: true, mac: 'BB' }],
  ])('success with %s', async (_n, body) => {
    const { fast, slow } = await both(body, bearer(dev.secret));
    expect(fast.status).toBe(200);
    same(fast, slow);
  });

  it.each([
    ['malformed JSON', '{"mac": '],
    ['an empty JSON body', ''],
    ['a __proto__ key', '{"__proto__": {"x": 1}}'],
    ['a constructor.prototype key', '{"constructor": {"prototype": {"x": 1}}}'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"hello"'],
    ['a number for mac', '{"mac": 42}'],
    ['a 65-character ip_address', JSON.stringify({ ip_address: 'x'.repeat(65) })],
  ])('rejects %s the same way', async (_n, raw) => {
    const { fast, slow } = await both(raw, { ...bearer(dev.secret), 'content-type': 'application/json' });
    expect(fast.status).toBe(400);
    same(fast, slow);
  });

  it.each([
    ['no Authorization', () => ({})],
    ['a wrong secret', () => bearer('nope')],
    ["another device's secret", () => bearer(other.secret)],
  ])('refuses %s the same way', async (_n, headers) => {
    const { fast, slow } = await both({}, headers());
    expect(fast.status).toBe(401);
    same(fast, slow);
  });

  it('accepts no body at all (no content-type) on both paths', async () => {
    const { fast, slow } = await both(undefined, bearer(dev.secret));
    expect(fast.status).toBe(200);
    same(fast, slow);
  });

  it('leaves other content types to Fastify (415)', async () => {
    const r = await srv.api('POST', `/api/devices/${dev.key}/online`, 'mac=AA', {
      ...bearer(dev.secret),
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(r.status).toBe(415);
    expect(r.body).toMatchObject({ ok: false });
  });

  it('a chunked body (no content-length) is served too', async () => {
    const url = new URL(`${srv.url}/api/devices/${dev.key}/online`);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        url,
        {
          method: 'POST',
          headers: {
            ...bearer(dev.secret),
            'content-type': 'application/json',
            'transfer-encoding': 'chunked',
          },
        },
        (r) => {
          let b = '';
          r.on('data', (c) => (b += c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: b }));
        },
      );
      req.on('error', reject);
      req.write('{"mac":');
      req.end('"CC"}');
    });
    expect(res.status).toBe(200);
    const g = await srv.api('GET', `/api/devices/${dev.key}`, undefined, bearer(dev.secret));
    expect(g.body.device.mac).toBe('CC');
  });

  it('a body that arrives in two TCP writes (with content-length) is put together', async () => {
    const url = new URL(`${srv.url}/api/devices/${dev.key}/online`);
    const body = '{"mac":"DD","note":"two parts"}';
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        url,
        {
          method: 'POST',
          headers: {
            ...bearer(dev.secret),
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
          },
        },
        (r) => {
          r.resume();
          r.on('end', () => resolve(r.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.flushHeaders();
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 50);
    });
    expect(status).toBe(200);
    const g = await srv.api('GET', `/api/devices/${dev.key}`, undefined, bearer(dev.secret));
    expect(g.body.device).toMatchObject({ mac: 'DD', note: 'two parts' });
  });

  it('counts fast-path requests in http_requests_total and the heartbeat counters', async () => {
    const before = await srv.api('GET', '/metrics');
    const count = (t: string, re: RegExp) => Number(re.exec(t)?.[1] ?? 0);
    const okRe = /^http_requests_total\{method="POST",status="200"\} (\d+)/m;
    const hbRe = /^outpost_device_heartbeats_total (\d+)/m;
    const rejRe = /^outpost_heartbeats_rejected_total (\d+)/m;
    await srv.api('POST', `/api/devices/${dev.key}/online`, {}, bearer(dev.secret));
    await srv.api('POST', `/api/devices/${dev.key}/online`, {}, bearer('wrong'));
    const after = await srv.api('GET', '/metrics');
    expect(count(after.text, okRe) - count(before.text, okRe)).toBe(1);
    expect(count(after.text, hbRe) - count(before.text, hbRe)).toBe(1);
    expect(count(after.text, rejRe) - count(before.text, rejRe)).toBe(1);
  });
});
