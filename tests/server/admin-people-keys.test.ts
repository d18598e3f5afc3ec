/**
 * People and named API keys over real HTTP, on both stores: users created, changed (role, disabled, password)
 * and refused at once; keys created (shown once), used, listed with their last use, revoked. Every change is on
 * the audit trail with its actor and IP, listed with filters and exported as CSV.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const PASSWORD = 'people-password-1';

/** RFC 4180 parser for the export (quoted fields, doubled quotes, CRLF rows). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      row.push(cell);
      cell = '';
    } else if (!quoted && ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      cell += ch;
    }
  }
  return rows;
}

describe('users, named API keys and the audit trail', () => {
  let srv: TestServer;
  const env = () => ({ 'x-api-key': srv.apiKey });
  const audit = async (query: string, h: Record<string, string> = env()) => {
    const r = await srv.api('GET', `/api/admin/audit?${query}`, undefined, h);
    expect(r.status, r.text).toBe(200);
    return r.body.data as {
      events: {
        id: number;
        at: string;
        actor: string;
        ip: string;
        action: string;
        target: string;
        details: Record<string, unknown>;
      }[];
      pagination: { page: number; limit: number; total: number; totalPages: number };
    };
  };
  const login = (username: string, password = PASSWORD) =>
    srv.api('POST', '/api/auth/login', { username, password });

  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => srv?.dispose());

  it('creates a viewer, changes its role, password and state with PUT, each taking effect at once', async () => {
    const c = await srv.api(
      'POST',
      '/api/admin/users',
      { username: 'vera', password: PASSWORD, role: 'viewer' },
      env(),
    );
    expect(c.status, c.text).toBe(201);
    expect(c.body.data).toMatchObject({ username: 'vera', role: 'viewer' });
    const id = c.body.data.id as number;
    const token = (await login('vera')).body.token as string;
    const bearer = { authorization: `Bearer ${token}` };
    const createClient = () =>
      srv.api('POST', '/api/admin/clients', { name: `c-${Date.now()}`, quota: 1 }, bearer);
    expect((await createClient()).status).toBe(403);

    // Promoted: the same token may operate now (the role is the user's, not the token's).
    const up = await srv.api('PUT', `/api/admin/users/${id}`, { role: 'operator' }, env());
    expect(up.status, up.text).toBe(200);
    expect(up.body.data).toMatchObject({ id, role: 'operator', disabled: false });
    expect((await createClient()).status).toBe(201);

    const pw = await srv.api('PUT', `/api/admin/users/${id}`, { password: 'another-password-9' }, env());
    expect(pw.status).toBe(200);
    expect((await login('vera')).status).toBe(401);
    expect((await login('vera', 'another-password-9')).status).toBe(200);

    const off = await srv.api('PUT', `/api/admin/users/${id}`, { disabled: true }, env());
    expect(off.body.data.disabled).toBe(true);
    const refused = await srv.api('GET', '/api/admin/users', undefined, bearer);
    expect(refused.status).toBe(401);

    // Bad input is a 4xx envelope.
    for (const bad of [{}, { role: 'root' }, { password: 'short' }, { disabled: 'yes' }]) {
      const r = await srv.api('PUT', `/api/admin/users/${id}`, bad, env());
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    }
    expect((await srv.api('PUT', '/api/admin/users/999999', { role: 'viewer' }, env())).status).toBe(404);
    // The PATCH of before still works.
    const on = await srv.api('PATCH', `/api/admin/users/${id}`, { disabled: false }, env());
    expect(on.status).toBe(200);
    expect(on.body.data.disabled).toBe(false);

    const events = (await audit(`action=user.&actor=environment`)).events.filter((e) => e.target === 'vera');
    expect(events.map((e) => e.action)).toEqual([
      'user.update',
      'user.update',
      'user.update',
      'user.update',
      'user.create',
    ]);
    expect(events[2]!.details).toEqual({ id, password_changed: true });
    expect(JSON.stringify(events)).not.toContain('another-password-9');
    for (const e of events) expect(e.ip).toBe('127.0.0.1');
  });

  it('a named key is shown once, works at its role, is listed with its last use, and is refused once revoked', async () => {
    const made = await srv.api('POST', '/api/admin/api-keys', { name: 'ci deploy', role: 'operator' }, env());
    expect(made.status, made.text).toBe(201);
    expect(made.body.data).toMatchObject({ name: 'ci deploy', role: 'operator' });
    const key = made.body.data.key as string;
    expect(key.length).toBeGreaterThanOrEqual(40);
    const id = made.body.data.id as number;

    const before = await srv.api('GET', '/api/admin/api-keys', undefined, env());
    const row = (before.body.data as { id: number }[]).find((k) => k.id === id);
    expect(row).toEqual({
      id,
      name: 'ci deploy',
      role: 'operator',
      created_at: expect.any(String),
      last_used_at: null,
      created_by: 'environment',
    });
    expect(before.text).not.toContain(key);

    const used = await srv.api(
      'POST',
      '/api/admin/clients',
      { name: 'By key', quota: 2 },
      { 'x-api-key': key },
    );
    expect(used.status, used.text).toBe(201);
    // The use is written behind the request: poll the list briefly.
    let lastUsed: string | null = null;
    for (let i = 0; i < 50 && !lastUsed; i++) {
      const l = await srv.api('GET', '/api/admin/api-keys', undefined, env());
      lastUsed = (l.body.data as { id: number; last_used_at: string | null }[]).find(
        (k) => k.id === id,
      )!.last_used_at;
      if (!lastUsed) await new Promise((r) => setTimeout(r, 20));
    }
    expect(lastUsed).not.toBeNull();

    const ev = (await audit('action=client.create&actor=ci%20deploy')).events;
    expect(ev[0]).toMatchObject({ actor: 'ci deploy', target: 'By key', ip: '127.0.0.1' });

    expect(
      (await srv.api('POST', '/api/admin/api-keys', { name: 'CI DEPLOY', role: 'viewer' }, env())).status,
    ).toBe(409);
    for (const bad of [{ name: 'x', role: 'station' }, { name: '', role: 'admin' }, { name: 'x' }]) {
      expect((await srv.api('POST', '/api/admin/api-keys', bad, env())).status, JSON.stringify(bad)).toBe(
        400,
      );
    }

    const del = await srv.api('DELETE', `/api/admin/api-keys/${id}`, undefined, env());
    expect(del.status, del.text).toBe(200);
    const after = await srv.api('GET', '/api/admin/clients', undefined, { 'x-api-key': key });
    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    expect((await srv.api('DELETE', `/api/admin/api-keys/${id}`, undefined, env())).status).toBe(404);

    const keyEvents = (await audit('action=api-key.')).events.filter((e) => e.target === 'ci deploy');
    expect(keyEvents.map((e) => e.action)).toEqual(['api-key.revoke', 'api-key.create']);
    expect(keyEvents[1]!.details).toEqual({ id, role: 'operator' });
    expect(JSON.stringify(keyEvents)).not.toContain(key);
  });

  it('failed logins are on the trail as anonymous, with the username tried and the IP', async () => {
    await srv.api(
      'POST',
      '/api/admin/users',
      { username: 'locked', password: PASSWORD, role: 'station' },
      env(),
    );
    expect((await login('locked', 'wrong-password-1')).status).toBe(401);
    expect((await login('nobody-here', 'wrong-password-1')).status).toBe(401);
    const e = (await audit('action=login.failed')).events;
    expect(e.slice(0, 2).map((x) => [x.actor, x.target, x.ip, x.details.reason])).toEqual([
      ['anonymous', 'nobody-here', '127.0.0.1', 'credentials'],
      ['anonymous', 'locked', '127.0.0.1', 'credentials'],
    ]);
    expect(JSON.stringify(e)).not.toContain('wrong-password-1');
  });

  it('lists newest first with paging, filters by actor and time, refuses bad filters with 400', async () => {
    const all = await audit('limit=2&page=1');
    expect(all.pagination).toMatchObject({ page: 1, limit: 2 });
    expect(all.pagination.total).toBeGreaterThan(4);
    expect(all.pagination.totalPages).toBe(Math.ceil(all.pagination.total / 2));
    expect(all.events[0]!.id).toBeGreaterThan(all.events[1]!.id);
    const page2 = await audit('limit=2&page=2');
    expect(page2.events[0]!.id).toBeLessThan(all.events[1]!.id);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await audit(`since=${encodeURIComponent(future)}`)).events).toEqual([]);
    const past = new Date(Date.now() - 3_600_000).toISOString();
    expect((await audit(`since=${encodeURIComponent(past)}`)).pagination.total).toBe(all.pagination.total);
    expect((await audit('actor=nobody-at-all')).pagination.total).toBe(0);

    for (const q of ['since=yesterday', 'limit=0', 'limit=101', 'page=0']) {
      const r = await srv.api('GET', `/api/admin/audit?${q}`, undefined, env());
      expect(r.status, q).toBe(400);
    }
  });

  it('exports the same filter as CSV, quoted and safe to open in a spreadsheet', async () => {
    // Usernames are only checked at creation, so a failed login puts any text on the trail as its target.
    const nasty = ['=HYPERLINK("http://x","y")', '+1,2', '-cmd', '@SUM(A1)', 'line\nbreak "quoted"'];
    for (const u of nasty) await login(u, 'wrong-password-1');
    const r = await fetch(`${srv.url}/api/admin/audit?action=login.failed`, {
      headers: { ...env(), accept: 'text/csv' },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parseCsv(await r.text());
    expect(rows[0]).toEqual(['id', 'at', 'actor', 'ip', 'action', 'target', 'details']);
    const json = await audit('action=login.failed&limit=100');
    expect(rows.length - 1).toBe(json.pagination.total);
    const targets = rows.slice(1, 1 + nasty.length).map((row) => row[5]);
    expect(targets).toEqual([
      'line\nbreak "quoted"',
      "'@SUM(A1)",
      "'-cmd",
      "'+1,2",
      '\'=HYPERLINK("http://x","y")',
    ]);
    for (const row of rows.slice(1)) {
      expect(row).toHaveLength(7);
      expect(row[4]).toBe('login.failed');
      expect(JSON.parse(row[6]!)).toMatchObject({ reason: 'credentials' });
    }
    // The CSV of one actor is that actor's events only.
    const mine = await fetch(`${srv.url}/api/admin/audit?actor=environment`, {
      headers: { ...env(), accept: 'text/csv' },
    });
    const mineRows = parseCsv(await mine.text()).slice(1);
    expect(mineRows.length).toBeGreaterThan(0);
    expect(new Set(mineRows.map((x) => x[2]))).toEqual(new Set(['environment']));
  });
});
