import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src-main/agent/admin/admin-client.js';
import { AgentError } from '../../src-main/agent/errors.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** What a call rejected with (the test fails when it resolved). */
async function rejection(p: Promise<unknown>): Promise<AgentError> {
  const err: unknown = await p.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AgentError);
  return err as AgentError;
}

describe('admin client against the real server', () => {
  let server: TestServer;
  let admin: AdminClient;

  beforeAll(async () => {
    server = await startTestServer();
    admin = new AdminClient(async () => ({ url: server.url, apiKey: server.apiKey }));
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('maps every admin answer from the typed contract into the console rows', async () => {
    const token = await admin.createDevice({ device_key: 'kiosk-9', note: 'hall' });
    expect(token).toMatchObject({
      device_key: 'kiosk-9',
      token_code: expect.stringMatching(/^[0-9A-F]{6}$/),
    });
    expect(token.expires_at).toEqual(expect.any(String));
    const [device] = (await admin.listDevices()).devices;
    expect(device).toMatchObject({
      device_key: 'kiosk-9',
      note: 'hall',
      online: false,
      registered: false,
      revoked: false,
      token_expires_at: token.expires_at,
    });
    expect((await admin.outstandingTokens()).tokens).toEqual([token]);
    // Counts for the activity chart come from the inventory's totals, not from a list of every device.
    expect(await admin.deviceCounts()).toEqual({ online: 0, total: 1 });
    expect(await admin.revokeDevice('kiosk-9')).toEqual({ device_key: 'kiosk-9' });
    expect((await admin.listDevices()).devices[0]).toMatchObject({ revoked: true });

    const acme = await admin.createClient('Acme', 10);
    expect(acme).toMatchObject({ name: 'Acme', quota: 10, remaining: 10 });
    expect(await admin.topUpClient(acme.id, 5)).toMatchObject({ quota: 15, remaining: 15 });
    expect(await admin.reduceClient(acme.id, 3)).toMatchObject({ quota: 12, remaining: 12 });
    expect(await admin.renameClient(acme.id, 'Acme Ltd')).toMatchObject({ id: acme.id, name: 'Acme Ltd' });
    expect((await admin.listClients()).clients.map((c) => c.name)).toEqual(['Acme Ltd']);
    expect(await admin.deleteClient(acme.id)).toEqual({ id: acme.id });

    const lic = await admin.generateLicense({ duration_days: 30, description: 'desk', max_machines: 2 });
    expect(lic).toMatchObject({
      status: 'generated',
      duration_days: 30,
      max_machines: 2,
      description: 'desk',
      activated_at: null,
      expires_at: null,
      user_email: null,
    });
    const list = await admin.listLicenses({ page: 1, limit: 10 });
    expect(list.pagination).toEqual({ page: 1, limit: 10, total: 1, totalPages: 1 });
    expect(list.licenses[0]).toMatchObject({ id: lic.id, license_key: lic.license_key });
    expect(await admin.revokeLicense(lic.id)).toMatchObject({ id: lic.id, status: 'revoked' });
  });
});

describe('admin client against a server answering the wrong shape', () => {
  let fake: http.Server;
  let url: string;
  /** The next answer's body, per path (status 200). */
  const answers = new Map<string, string>();

  beforeAll(async () => {
    fake = http.createServer((req, res) => {
      const body = answers.get(`${req.method} ${req.url?.split('?')[0]}`);
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(body ?? JSON.stringify({ success: false, error: 'Not found', code: 'NOT_FOUND' }));
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => fake.close(resolve));
  });

  it('rejects with UNEXPECTED_RESPONSE naming the route and the field, instead of defaulted rows', async () => {
    const admin = new AdminClient(async () => ({ url, apiKey: 'k' }));
    // A device without its status and timestamps: the old parser turned it into a "pending" device.
    answers.set(
      'GET /api/admin/devices',
      JSON.stringify({
        ok: true,
        count: 1,
        online: 0,
        heartbeat_interval_sec: 60,
        devices: [{ device_key: 'kiosk-1' }],
      }),
    );
    const devices = await rejection(admin.listDevices());
    expect(devices.code).toBe('UNEXPECTED_RESPONSE');
    expect(devices.message).toMatch(/GET \/api\/admin\/devices/);
    expect(devices.message).toMatch(/devices\.0\./);

    // Clients under another key: the old parser answered an empty list.
    answers.set('GET /api/admin/clients', JSON.stringify({ success: true, clients: [] }));
    const clients = await rejection(admin.listClients());
    expect(clients.code).toBe('UNEXPECTED_RESPONSE');
    expect(clients.message).toMatch(/data/);

    // A quota as a string: the old parser answered 0.
    answers.set(
      'POST /api/admin/clients',
      JSON.stringify({
        success: true,
        data: { id: 1, name: 'Acme', remaining: '10', used: 0, total: 10, created_at: 'x', updated_at: 'x' },
      }),
    );
    const created = await rejection(admin.createClient('Acme', 10));
    expect(created.code).toBe('UNEXPECTED_RESPONSE');
    expect(created.message).toMatch(/data\.remaining/);

    answers.set('GET /api/licenses', 'not json at all');
    const licenses = await rejection(admin.listLicenses({}));
    expect(licenses.code).toBe('UNEXPECTED_RESPONSE');
    expect(licenses.message).toMatch(/not JSON/);

    // An error envelope is still relayed with the server's own code and message.
    const missing = await rejection(admin.revokeLicense('00000000-0000-4000-8000-000000000000'));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', message: 'Not found' });

    // No crash, nothing stuck: a well-formed answer right after is used as is.
    answers.set(
      'GET /api/admin/devices',
      JSON.stringify({ ok: true, count: 0, online: 0, heartbeat_interval_sec: 60, devices: [] }),
    );
    expect(await admin.listDevices()).toEqual({ devices: [] });
  });
});
