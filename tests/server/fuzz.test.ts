import fc from 'fast-check';
import { request as httpRequest, Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_ADMIN, type TestServer } from '../helpers/server.js';

/**
 * Property test over EVERY route the server documents in GET /api/openapi.json (routes other families add later
 * are picked up without touching this file): random JSON bodies, hostile path params, random query strings and
 * random credentials. Properties: never a 5xx, and every /api/* error is a JSON body.
 *
 * Bounded: OUTPOST_FUZZ_RUNS requests (default 300) plus a fixed sweep per route. Reproduce a failure with the
 * OUTPOST_FUZZ_SEED printed in the failure message.
 */
const RUNS = Number(process.env.OUTPOST_FUZZ_RUNS ?? 300);
const SEED = Number(process.env.OUTPOST_FUZZ_SEED ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0);

interface Route {
  method: string;
  /** OpenAPI template, e.g. `/api/devices/{key}`. */
  path: string;
  bodyProps: string[];
  queryProps: string[];
  /** Statuses whose documented success body is not JSON (e.g. text/plain ssh host key). */
  nonJsonOk: Set<number>;
}

interface FuzzRequest {
  route: Route;
  params: Array<{ value: string; raw: boolean }>;
  query: Array<[string, string]>;
  body: { kind: 'none' } | { kind: 'json'; value: unknown } | { kind: 'raw'; text: string };
  contentType: string;
  apiKey: string | null;
  authorization: string | null;
}

interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

/** encodeURIComponent, except that a lone surrogate becomes the (invalid UTF-8) bytes of one instead of throwing. */
function encodeAny(s: string): string {
  return s.replace(/[\s\S]/gu, (c) =>
    c.length === 1 && /[\ud800-\udfff]/.test(c) ? '%ED%A0%80' : encodeURIComponent(c),
  );
}

/** Percent-encodes only what an HTTP client must, so `../`, stray `%` and `;` reach the router as sent. */
function rawPathSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu, (c) => encodeAny(c));
}

function buildPath(r: FuzzRequest): string {
  let i = 0;
  const path = r.route.path.replace(/\{[^}]+\}/g, () => {
    const p = r.params[i++] ?? { value: 'x', raw: false };
    return p.raw ? rawPathSegment(p.value) : encodeAny(p.value);
  });
  const qs = r.query.map(([k, v]) => `${encodeAny(k)}=${encodeAny(v)}`).join('&');
  return qs ? `${path}?${qs}` : path;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** node:http rather than fetch: it sends GET bodies, raw paths and odd headers as they are. */
function send(base: URL, r: FuzzRequest): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  let payload: string | undefined;
  if (r.body.kind === 'json') payload = JSON.stringify(r.body.value) ?? 'null';
  if (r.body.kind === 'raw') payload = r.body.text;
  if (payload !== undefined) {
    headers['content-type'] = r.contentType;
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (r.apiKey !== null) headers['x-api-key'] = r.apiKey;
  if (r.authorization !== null) headers.authorization = r.authorization;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: r.route.method,
        path: buildPath(r),
        headers,
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function discoverRoutes(srv: TestServer): Promise<Route[]> {
  const doc = await srv.api('GET', '/api/openapi.json');
  expect(doc.status).toBe(200);
  type Op = {
    parameters?: Array<{ in: string; name: string }>;
    requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
    responses?: Record<string, { content?: Record<string, unknown> }>;
  };
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, Op>>)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const nonJsonOk = new Set<number>();
      for (const [status, res] of Object.entries(op.responses ?? {})) {
        if (!Object.keys(res.content ?? {}).includes('application/json')) nonJsonOk.add(Number(status));
      }
      routes.push({
        method: method.toUpperCase(),
        path,
        bodyProps: Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {}),
        queryProps: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        nonJsonOk,
      });
    }
  }
  // Hidden from the document but public all the same.
  routes.push({ method: 'GET', path: '/metrics', bodyProps: [], queryProps: [], nonJsonOk: new Set([200]) });
  routes.push({
    method: 'GET',
    path: '/api/openapi.json',
    bodyProps: [],
    queryProps: [],
    nonJsonOk: new Set(),
  });
  return routes;
}

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 120,
});

/** Strings that have broken servers before. */
const nasty = fc.oneof(
  fc.constantFrom(
    '',
    '../',
    '../../etc/passwd',
    '..%2f..%2fetc%2fpasswd',
    '%00',
    '\u0000',
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    '" OR ""="',
    '%',
    '%ZZ',
    '\\',
    '*',
    '?',
    '#',
    '__proto__',
    'constructor',
    'null',
    'undefined',
    'NaN',
    '-1',
    '1e309',
    '9'.repeat(40),
    'ｆｕｌｌｗｉｄｔｈ',
    'ǅǈǋ',
    '\u202e\u0645\u0631\u062d\u0628\u0627',
    '😀'.repeat(50),
    '\ud800',
    'a'.repeat(200),
    'a'.repeat(5000),
    '<script>alert(1)</script>',
    '${jndi:ldap://x}',
    'AAAA-BBBB-CCCC-DDDD',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer().map(String),
);

const jsonLeaf = fc.oneof(
  nasty,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -0, 1e308),
);

function requestArb(routes: Route[], apiKey: string, known: Known): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...routes).chain((route) => {
    const paramCount = (route.path.match(/\{[^}]+\}/g) ?? []).length;
    const keyPool = [...route.bodyProps, 'extra', 'id', 'is_admin', 'role'];
    const shapedBody = fc.dictionary(
      fc.constantFrom(...keyPool),
      fc.oneof(
        jsonLeaf,
        fc.array(jsonLeaf, { maxLength: 3 }),
        fc.dictionary(printable, jsonLeaf, { maxKeys: 3 }),
      ),
      { maxKeys: keyPool.length },
    );
    return fc.record({
      route: fc.constant(route),
      params: fc.array(
        fc.record({ value: fc.oneof(nasty, fc.constantFrom(...known.params)), raw: fc.boolean() }),
        {
          minLength: paramCount,
          maxLength: paramCount,
        },
      ),
      query: fc.array(
        fc.tuple(fc.oneof(fc.constantFrom(...route.queryProps, 'limit', 'offset', 'page'), printable), nasty),
        { maxLength: 4 },
      ),
      body: fc.oneof(
        { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
        { weight: 4, arbitrary: shapedBody.map((value) => ({ kind: 'json' as const, value })) },
        {
          weight: 2,
          arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'json' as const, value })),
        },
        {
          weight: 1,
          arbitrary: fc.string({ maxLength: 60 }).map((text) => ({ kind: 'raw' as const, text })),
        },
      ),
      contentType: fc.oneof(
        { weight: 8, arbitrary: fc.constant('application/json') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/json; charset=latin1',
            'multipart/form-data',
            'application/xml',
          ),
        },
      ),
      apiKey: fc.option(fc.oneof(fc.constant(apiKey), printable), { nil: null, freq: 2 }),
      authorization: fc.option(
        fc.oneof(
          printable.map((s) => `Bearer ${s}`),
          fc.constantFrom('Bearer ', 'Basic YWRtaW46YWRtaW4=', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.'),
          fc.constantFrom(...known.bearers),
          printable,
        ),
        { nil: null, freq: 3 },
      ),
    });
  });
}

interface Known {
  /** Valid `Authorization` values (a user JWT, a device secret) so handlers behind auth get exercised too. */
  bearers: string[];
  /** Path params that exist (so handlers get past their 404). */
  params: string[];
}

/**
 * Real credentials for the routes that exist today, found by name in the route list; each step is optional, so a
 * family that changes shape only makes the fuzz shallower there, never fail.
 */
async function knownCredentials(srv: TestServer, routes: Route[]): Promise<Known> {
  const has = (m: string, p: string) => routes.some((r) => r.method === m && r.path === p);
  const known: Known = { bearers: ['Bearer invalid'], params: ['1', 'admin'] };
  if (has('POST', '/api/auth/login')) {
    const r = await srv.api('POST', '/api/auth/login', TEST_ADMIN);
    if (typeof r.body?.token === 'string') known.bearers.push(`Bearer ${r.body.token}`);
  }
  if (has('POST', '/api/admin/devices') && has('POST', '/api/devices/{key}/register')) {
    const key = 'fuzz-device';
    const d = await srv.api('POST', '/api/admin/devices', { device_key: key }, { 'x-api-key': srv.apiKey });
    if (typeof d.body?.token_code === 'string') {
      const reg = await srv.api('POST', `/api/devices/${key}/register`, { token_code: d.body.token_code });
      if (typeof reg.body?.device_secret === 'string') known.bearers.push(`Bearer ${reg.body.device_secret}`);
      known.params.push(key);
    }
  }
  return known;
}

/** The properties every response must have. */
function check(r: FuzzRequest, res: RawResponse): void {
  const where = `${r.route.method} ${buildPath(r).slice(0, 200)} → ${res.status} ${res.text.slice(0, 200)}`;
  expect(res.status, where).toBeGreaterThanOrEqual(200);
  expect(res.status, where).toBeLessThan(500);
  const isApi = r.route.path.startsWith('/api/');
  const okNonJson = res.status < 300 && r.route.nonJsonOk.has(res.status);
  if (isApi && !okNonJson) {
    expect(res.contentType, where).toContain('application/json');
    expect(() => JSON.parse(res.text), where).not.toThrow();
  }
  if (res.status >= 400 && res.contentType.includes('application/json')) {
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(typeof body.code, where).toBe('string');
    expect(body.success === false || body.ok === false, where).toBe(true);
  }
  expect(res.text, where).not.toMatch(/\n\s+at |SQLITE|SqliteError/);
}

describe('fuzz: every documented route, random input, never a 5xx', () => {
  let srv: TestServer;
  let routes: Route[];
  let base: URL;
  let known: Known;
  beforeAll(async () => {
    // Generous limit so 429s do not hide the routes (429 is still an acceptable answer).
    srv = await startTestServer({ env: { OUTPOST_RATE_LIMIT_PER_MIN: '1000000' } });
    base = new URL(srv.url);
    routes = await discoverRoutes(srv);
    known = await knownCredentials(srv, routes);
  });
  afterAll(async () => {
    agent.destroy();
    await srv?.dispose();
  });

  it('finds the routes in the OpenAPI document (at least health and telemetry)', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining(['GET /api/health', 'POST /api/heartbeat', 'GET /api/plugins']),
    );
  });

  it('holds real credentials for the auth families that exist (user JWT, device secret)', () => {
    const has = (p: string) => routes.some((r) => r.path === p);
    const expected = 1 + Number(has('/api/auth/login')) + Number(has('/api/devices/{key}/register'));
    expect(known.bearers).toHaveLength(expected);
  });

  it('sweep: each route with hostile params, a wrong-typed body, garbage credentials and no body', async () => {
    const hostile = ['../', '..%2f..', "' OR 1=1 --", 'a'.repeat(5000), '😀\u0000', '%'];
    for (const route of routes) {
      const n = (route.path.match(/\{[^}]+\}/g) ?? []).length;
      for (const [i, value] of hostile.entries()) {
        const req: FuzzRequest = {
          route,
          params: Array.from({ length: n }, () => ({ value, raw: i % 2 === 0 })),
          query: route.queryProps.map((q) => [q, value] as [string, string]),
          body:
            i % 3 === 0
              ? { kind: 'none' }
              : {
                  kind: 'json',
                  value: Object.fromEntries(route.bodyProps.map((p) => [p, i % 2 ? [value] : value])),
                },
          contentType: 'application/json',
          apiKey: i % 2 ? srv.apiKey : 'wrong-key',
          authorization:
            i % 3 === 1
              ? `Bearer ${value.slice(0, 100).replace(/[^\x20-\x7e]/g, '')}`
              : (known.bearers[i % known.bearers.length] ?? null),
        };
        check(req, await send(base, req));
      }
    }
  });

  it(`random requests (${RUNS} runs, seed ${SEED}) never answer 5xx, and /api/* always answers JSON`, async () => {
    try {
      await fc.assert(
        fc.asyncProperty(requestArb(routes, srv.apiKey, known), async (req) => {
          check(req, await send(base, req));
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } catch (err) {
      throw new Error(`fuzz failed; reproduce with OUTPOST_FUZZ_SEED=${SEED}\n${(err as Error).message}`);
    }
    const health = await srv.api('GET', '/api/health');
    expect(health.status).toBe(200);
  });
});
