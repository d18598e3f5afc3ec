import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { UiEvent } from '../../src-shared/ipc/channels.js';
import type { AgentApi } from '../../src-main/agent/api.js';
import { startWebUi, type WebUi } from '../../src-main/cli/web-ui/bridge-server.js';
import { contentSecurityPolicy } from '../../src-main/cli/web-ui/guard.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(
  ui: WebUi,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: ui.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

let dir: string;
let ui: WebUi;
let listeners: Array<(e: UiEvent) => void> = [];
const calls: Array<[unknown, unknown]> = [];
const api: AgentApi = {
  invoke: async (channel, payload) => {
    calls.push([channel, payload]);
    return { ok: true, value: { echo: channel } };
  },
  onEvent: (l) => {
    listeners.push(l);
    return () => (listeners = listeners.filter((x) => x !== l));
  },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-webui-'));
  mkdirSync(join(dir, 'static', 'assets'), { recursive: true });
  writeFileSync(
    join(dir, 'static', 'index.html'),
    '<!doctype html><title>Outpost</title><div id="root"></div>',
  );
  writeFileSync(join(dir, 'static', 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'outside.txt'), 'do not serve me');
  ui = await startWebUi({ api, staticDir: join(dir, 'static') });
});
afterAll(async () => {
  await ui.close();
  rmSync(dir, { recursive: true, force: true });
});

const host = () => ({ host: `127.0.0.1:${ui.port}` });
const origin = () => ({ origin: `http://127.0.0.1:${ui.port}` });
const cookie = () => ({ cookie: `outpost_bridge_${ui.port}=${ui.token}` });
const json = { 'content-type': 'application/json' };

describe('web bridge auth (real HTTP)', () => {
  it('answers 401 to a request without token (page and invoke)', async () => {
    expect((await http(ui, 'GET', '/', host())).status).toBe(401);
    expect(
      (await http(ui, 'POST', '/bridge/invoke/app.info', { ...host(), ...origin(), ...json }, '{}')).status,
    ).toBe(401);
    expect(calls).toEqual([]);
  });

  it('answers 401 to a wrong token in the URL, and to a wrong cookie', async () => {
    expect((await http(ui, 'GET', '/?token=nope', host())).status).toBe(401);
    const wrong = { cookie: `outpost_bridge_${ui.port}=${'x'.repeat(ui.token.length)}` };
    expect((await http(ui, 'GET', '/', { ...host(), ...wrong })).status).toBe(401);
  });

  it('exchanges the token in the URL for an HttpOnly SameSite=Strict cookie and drops it from the address', async () => {
    const r = await http(ui, 'GET', `/?token=${ui.token}`, host());
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const set = String(r.headers['set-cookie']);
    expect(set).toContain(`outpost_bridge_${ui.port}=${ui.token}`);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    const page = await http(ui, 'GET', '/', { ...host(), ...cookie() });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="root">');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('the page CSP is exact: connect-src is self plus the ws origin of the Host it was served under, no [::1] literal', async () => {
    const p = ui.port;
    const expected = (wsHost: string) =>
      [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        `connect-src 'self' ws://${wsHost}`,
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; ');
    const viaIp = await http(ui, 'GET', '/', { ...host(), ...cookie() });
    expect(viaIp.headers['content-security-policy']).toBe(expected(`127.0.0.1:${p}`));
    const viaName = await http(ui, 'GET', '/', { host: `localhost:${p}`, ...cookie() });
    expect(viaName.headers['content-security-policy']).toBe(expected(`localhost:${p}`));
    for (const csp of [viaIp, viaName].map((r) => String(r.headers['content-security-policy']))) {
      expect(csp).not.toContain('[');
      expect(csp).not.toMatch(/ws:\/\/\*|wss?:(\s|;|$)/); // no wildcard or scheme-only ws source
    }
    // Assets carry no CSP (it only means something on documents).
    const asset = await http(ui, 'GET', '/assets/app.js', { ...host(), ...cookie() });
    expect(asset.headers['content-security-policy']).toBeUndefined();
  });

  it('contentSecurityPolicy falls back to 127.0.0.1 for a missing or foreign Host (never echoes it)', () => {
    expect(contentSecurityPolicy(4000)).toContain("connect-src 'self' ws://127.0.0.1:4000;");
    expect(contentSecurityPolicy(4000, 'evil.example:4000')).toContain(
      "connect-src 'self' ws://127.0.0.1:4000;",
    );
    expect(contentSecurityPolicy(4000, '[::1]:4000')).toContain("connect-src 'self' ws://127.0.0.1:4000;");
    expect(contentSecurityPolicy(4000, 'LOCALHOST:4000')).toContain(
      "connect-src 'self' ws://localhost:4000;",
    );
  });

  it('answers 403 to a foreign Origin even with a valid cookie (invoke and page)', async () => {
    const evil = { origin: 'http://evil.example' };
    const r = await http(
      ui,
      'POST',
      '/bridge/invoke/app.info',
      { ...host(), ...cookie(), ...evil, ...json },
      '{}',
    );
    expect(r.status).toBe(403);
    expect((await http(ui, 'GET', '/', { ...host(), ...cookie(), ...evil })).status).toBe(403);
    expect(calls).toEqual([]);
  });

  it('answers 403 to a DNS-rebinding Host (evil.example:port) even with the right token', async () => {
    const r = await http(ui, 'GET', `/?token=${ui.token}`, { host: `evil.example:${ui.port}` });
    expect(r.status).toBe(403);
  });

  it('requires an Origin on cookie-authenticated invokes (no Origin → 403)', async () => {
    const r = await http(ui, 'POST', '/bridge/invoke/app.info', { ...host(), ...cookie(), ...json }, '{}');
    expect(r.status).toBe(403);
  });

  it('invokes with cookie + own Origin, and with the header token (non-browser client)', async () => {
    const a = await http(
      ui,
      'POST',
      '/bridge/invoke/app.info',
      { ...host(), ...cookie(), ...origin(), ...json },
      '{}',
    );
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toEqual({ ok: true, value: { echo: 'app.info' } });
    const b = await http(
      ui,
      'POST',
      '/bridge/invoke/device.status',
      { ...host(), 'x-outpost-token': ui.token, ...json },
      '',
    );
    expect(JSON.parse(b.body)).toEqual({ ok: true, value: { echo: 'device.status' } });
    expect(calls.slice(-2)).toEqual([
      ['app.info', {}],
      ['device.status', undefined],
    ]);
  });

  it('refuses text/plain bodies (415), bad JSON (400), bodies over 1 MB (413) and GET on invoke (405)', async () => {
    const auth = { ...host(), ...cookie(), ...origin() };
    expect(
      (await http(ui, 'POST', '/bridge/invoke/app.info', { ...auth, 'content-type': 'text/plain' }, '{}'))
        .status,
    ).toBe(415);
    expect((await http(ui, 'POST', '/bridge/invoke/app.info', { ...auth, ...json }, '{nope')).status).toBe(
      400,
    );
    const big = Buffer.alloc(1024 * 1024 + 10, 0x20);
    const r = await http(ui, 'POST', '/bridge/invoke/app.info', { ...auth, ...json }, big);
    expect(r.status).toBe(413);
    expect((await http(ui, 'GET', '/bridge/invoke/app.info', auth)).status).toBe(405);
  });

  it('serves no file outside the renderer dir (.., %2e%2e) and lists no directory', async () => {
    const auth = { ...host(), ...cookie() };
    for (const p of ['/../outside.txt', '/%2e%2e/outside.txt', '/assets/..%2f..%2foutside.txt']) {
      const r = await http(ui, 'GET', p, auth);
      expect(r.body, p).not.toContain('do not serve me');
    }
    const listing = await http(ui, 'GET', '/assets/', auth);
    expect(listing.body).not.toContain('app.js');
    expect((await http(ui, 'GET', '/assets/app.js', auth)).body).toBe('console.log(1)');
  });
});

describe('web bridge events (real WebSocket)', () => {
  const wsUrl = () => `ws://127.0.0.1:${ui.port}/bridge/events`;
  const refused = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl(), { headers });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });

  it('refuses a socket without token (401) and with a foreign Origin (403)', async () => {
    expect(await refused({ origin: `http://127.0.0.1:${ui.port}` })).toBe(401);
    expect(await refused({ ...cookie(), origin: 'http://evil.example' })).toBe(403);
  });

  it('streams events to an authorised socket', async () => {
    const ws = new WebSocket(wsUrl(), { headers: { ...cookie(), ...origin() } });
    await new Promise((r) => ws.once('open', r));
    const got = new Promise<unknown>((r) => ws.once('message', (m) => r(JSON.parse(String(m)))));
    const event = { type: 'realtime', data: { event: 'quota_updated', data: { client_id: 1 } } } as UiEvent;
    for (const l of listeners) l(event);
    expect(await got).toEqual(event);
    ws.close();
  });
});
