import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverSql } from '../helpers/pg.js';
import { startTestServer, type TestResponse, type TestServer } from '../helpers/server.js';

/**
 * Cross-cutting error behaviour of the server: every failure answers the error envelope with a catalogue
 * code, and nothing about the internals (stack frames, SQLite, SQL) ever reaches a client.
 */

/** Everything a client must never see in a response. */
const LEAKS: Array<[string, RegExp]> = [
  ['a stack frame', /\bat \S+ \(|\n\s+at |\bat (file|node):/],
  ['SQLITE error codes', /SQLITE|SqliteError|sqlite_master/],
  ['SQL text', /\b(INSERT INTO|SELECT \S+ FROM|CREATE TABLE|UPDATE \w+ SET|DELETE FROM|ON CONFLICT)\b/i],
  ['a file path', /\/work\/|node_modules|\.ts:\d+/],
  ['an Error class name', /\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/],
];

function expectNoLeak(r: TestResponse, what: string): void {
  for (const [name, re] of LEAKS) {
    expect(re.test(r.text), `${what} leaks ${name}: ${r.text.slice(0, 300)}`).toBe(false);
  }
  for (const [k, v] of r.headers) {
    for (const [name, re] of LEAKS) expect(re.test(v), `${what} header ${k} leaks ${name}`).toBe(false);
  }
}

const JSON_CT = { 'content-type': 'application/json' };

/** Every string stored anywhere in the server database (SQLite file or PostgreSQL), for "never stored" checks. */
async function everythingStored(srv: TestServer): Promise<string> {
  const tables = srv.databaseUrl
    ? "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
    : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
  const out: string[] = [];
  for (const { name } of await serverSql(srv, tables)) {
    out.push(JSON.stringify(await serverSql(srv, `SELECT * FROM "${String(name)}"`)));
  }
  return out.join('\n');
}

describe('error envelope and hardening', () => {
  let srv: TestServer;
  const seen: Array<[string, TestResponse]> = [];
  const call = async (
    what: string,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => {
    const r = await srv.api(method, path, body, headers);
    seen.push([what, r]);
    return r;
  };

  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.dispose();
  });

  it.each([
    ['a truncated object', '{"plugin_id":'],
    ['a trailing comma', '{"plugin_id":"x",}'],
    ['single quotes', "{'plugin_id':'x'}"],
    ['bare words', 'hello world'],
    ['an empty body', ''],
    ['a lone NUL byte', '\u0000'],
  ])('malformed JSON (%s) → 400 INVALID_JSON', async (what, raw) => {
    const r = await call(`malformed JSON: ${what}`, 'POST', '/api/heartbeat', raw, JSON_CT);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ success: false, error: expect.any(String), code: 'INVALID_JSON' });
  });

  it('a body over 1 MB → 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ plugin_id: 'big-body', pad: 'x'.repeat(1024 * 1024) });
    const r = await call('1 MB body', 'POST', '/api/heartbeat', big, JSON_CT);
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('a body just under 1 MB is parsed (unknown padding stripped, heartbeat stored)', async () => {
    const body = JSON.stringify({ plugin_id: 'almost-1mb', pad: 'x'.repeat(1000 * 1000) });
    const r = await call('~1 MB body', 'POST', '/api/heartbeat', body, JSON_CT);
    expect(r.status).toBe(200);
    expect(await everythingStored(srv)).not.toContain('x'.repeat(1000));
  });

  it.each([
    ['text/plain', '{"plugin_id":"ct-text"}'],
    ['application/xml', '<plugin_id>ct-xml</plugin_id>'],
    ['application/x-www-form-urlencoded', 'plugin_id=ct-form'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="plugin_id"\r\n\r\nct\r\n--x--',
    ],
    ['application/octet-stream', '{"plugin_id":"ct-octet"}'],
  ])('wrong content type %s → 415 UNSUPPORTED_MEDIA_TYPE, nothing stored', async (ct, raw) => {
    const r = await call(`content type ${ct}`, 'POST', '/api/heartbeat', raw, { 'content-type': ct });
    expect(r.status).toBe(415);
    expect(r.body).toMatchObject({ success: false, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await everythingStored(srv)).not.toMatch(/ct-(text|xml|form|octet)/);
  });

  it('unknown fields are stripped: answered 200, never stored, never echoed', async () => {
    const marker = 'UNKNOWN-FIELD-MARKER-7f3a';
    const r = await call('unknown fields', 'POST', '/api/heartbeat', {
      plugin_id: 'strip-check',
      plugin_name: 'ProGran3',
      evil: marker,
      is_admin: true,
      id: 999_999,
      last_heartbeat: '1999-01-01T00:00:00Z',
      created_at: '1999-01-01T00:00:00Z',
      nested: { deep: marker },
    });
    expect(r.status).toBe(200);
    expect(r.text).not.toContain(marker);
    expect(r.body.plugin.id).not.toBe(999_999);
    expect(r.body.plugin.last_heartbeat.startsWith('1999')).toBe(false);
    const list = await call('list after unknown fields', 'GET', '/api/plugins', undefined, {
      'x-api-key': srv.apiKey,
    });
    expect(list.text).not.toContain(marker);
    expect(list.text).not.toContain('is_admin');
    const stored = await everythingStored(srv);
    expect(stored).toContain('strip-check');
    expect(stored).not.toContain(marker);
    expect(stored).not.toContain('1999-01-01');
  });

  it.each([
    ['__proto__ at the top level', '{"plugin_id":"proto-1","__proto__":{"isAdmin":true}}'],
    ['__proto__ nested', '{"plugin_id":"proto-2","x":{"__proto__":{"polluted":1}}}'],
    ['constructor.prototype', '{"plugin_id":"proto-3","constructor":{"prototype":{"polluted":1}}}'],
    [
      'escaped \\u005f\\u005fproto\\u005f\\u005f',
      '{"plugin_id":"proto-4","\\u005f\\u005fproto\\u005f\\u005f":{"a":1}}',
    ],
  ])('prototype poisoning via %s → 400, nothing polluted or stored', async (what, raw) => {
    const r = await call(`poisoning: ${what}`, 'POST', '/api/heartbeat', raw, JSON_CT);
    expect(r.status).toBe(400);
    expect(r.body.success).toBe(false);
    expect(['INVALID_JSON', 'VALIDATION_ERROR']).toContain(r.body.code);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await everythingStored(srv)).not.toMatch(/proto-\d/);
  });

  it.each([
    ['a percent sign alone', '/api/%'],
    ['a broken escape', '/api/plugins/%ZZ'],
    ['an overlong UTF-8 dot-dot', '/%c0%ae%c0%ae/etc/passwd'],
  ])('a malformed URL (%s) → 400 in the error envelope', async (what, path) => {
    const r = await call(`bad url: ${what}`, 'GET', path);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, code: 'BAD_REQUEST' });
  });

  it("a malformed URL or a 200-char path param under /api/devices/ answers seed 004's {ok:false} envelope", async () => {
    for (const path of ['/api/devices/%ZZ/online', `/api/devices/${'k'.repeat(200)}`]) {
      const r = await call(`device url ${path.slice(0, 30)}`, 'GET', path);
      expect(r.status, path).toBe(400);
      expect(r.body, path).toEqual({ ok: false, message: expect.any(String), code: 'BAD_REQUEST' });
    }
  });

  it('a URL over 16 KB (headers overflow in the HTTP parser) → 431 HEADERS_TOO_LARGE envelope', async () => {
    const r = await call('16 KB URL', 'GET', `/api/plugins?limit=${'9'.repeat(20_000)}`);
    expect(r.status).toBe(431);
    expect(r.body).toEqual({ success: false, error: expect.any(String), code: 'HEADERS_TOO_LARGE' });
  });

  it('a malformed HTTP request line → 400 BAD_REQUEST envelope from the parser', async () => {
    const url = new URL(srv.url);
    const text = await new Promise<string>((resolve, reject) => {
      const sock = connect(Number(url.port), url.hostname, () =>
        sock.end('GET /api/health HTTP/9.9 junk\r\n\r\n'),
      );
      let out = '';
      sock.on('data', (d) => (out += d.toString()));
      sock.on('close', () => resolve(out));
      sock.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toEqual({
      success: false,
      error: expect.any(String),
      code: 'BAD_REQUEST',
    });
  });

  it.each([
    ['an unknown route', 'GET', '/api/nope'],
    ['a known path with the wrong method', 'DELETE', '/api/heartbeat'],
    ['a path traversal', 'GET', '/api/../../etc/passwd'],
    ['SQL in the path', 'GET', "/api/plugins/1'%20OR%20'1'='1"],
  ])('%s → 404 ROUTE_NOT_FOUND envelope', async (what, method, path) => {
    const r = await call(what, method, path);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ success: false, code: 'ROUTE_NOT_FOUND' });
  });

  it('SQL metacharacters in a valid plugin_id-shaped field are data, not SQL', async () => {
    const name = `'); DROP TABLE plugins; --`;
    const r = await call('sql in field', 'POST', '/api/heartbeat', {
      plugin_id: 'sqli-check',
      plugin_name: name,
    });
    expect(r.status).toBe(200);
    const list = await call('list after sql in field', 'GET', '/api/plugins', undefined, {
      'x-api-key': srv.apiKey,
    });
    expect(list.status).toBe(200);
    expect(
      list.body.data.plugins.find((p: { plugin_id: string }) => p.plugin_id === 'sqli-check').plugin_name,
    ).toBe(name);
  });

  it('deeply nested JSON (100k levels) does not crash the parser', async () => {
    const raw = `{"plugin_id":"deep-json","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const r = await call('deep JSON', 'POST', '/api/heartbeat', raw, JSON_CT);
    expect(r.status).toBeLessThan(500);
    const again = await call('after deep JSON', 'GET', '/api/health');
    expect(again.status).toBe(200);
  });

  it('no response above contained a stack trace, SQLITE, stack frames or SQL text, and all were JSON', () => {
    expect(seen.length).toBeGreaterThan(20);
    for (const [what, r] of seen) {
      expectNoLeak(r, what);
      expect(r.headers.get('content-type'), what).toContain('application/json');
      expect(r.status, what).toBeLessThan(500);
    }
  });
});

describe('internal failures answer a generic 500 without internals', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.dispose();
  });

  it('a missing table (SqliteError with SQL in its message) → 500 INTERNAL_ERROR, nothing leaked', async () => {
    const ok = await srv.api('POST', '/api/heartbeat', { plugin_id: 'before-drop' });
    expect(ok.status).toBe(200);
    // Break the schema underneath the running server from a second connection.
    await serverSql(srv, 'DROP TABLE plugins');
    for (const [method, path, body] of [
      ['POST', '/api/heartbeat', { plugin_id: 'after-drop' }],
      ['GET', '/api/plugins', undefined],
    ] as const) {
      const r = await srv.api(method, path, body, { 'x-api-key': srv.apiKey });
      expect(r.status, `${method} ${path}`).toBe(500);
      expect(r.body).toEqual({ success: false, error: 'Internal server error', code: 'INTERNAL_ERROR' });
      expectNoLeak(r, `${method} ${path}`);
      expect(r.text).not.toContain('no such table');
      expect(r.text).not.toContain('does not exist');
    }
  });

  it('a closed database → health 503 degraded, routes 500 INTERNAL_ERROR, nothing leaked', async () => {
    await srv.ctx.store.close();
    const h = await srv.api('GET', '/api/health');
    expect(h.status).toBe(503);
    expect(h.body.status).toBe('degraded');
    const r = await srv.api('POST', '/api/heartbeat', { plugin_id: 'closed-db' });
    expect(r.status).toBe(500);
    expect(r.body.code).toBe('INTERNAL_ERROR');
    expectNoLeak(r, 'closed db');
    expect(r.text).not.toMatch(/database connection is not open/i);
  });
});
