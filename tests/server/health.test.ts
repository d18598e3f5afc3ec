import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TEST_STORE, type TestServer } from '../helpers/server.js';

describe('health surface (seeds 000 and 003)', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(async () => {
    await srv.dispose();
  });

  it('GET / describes the service and its endpoints', async () => {
    const r = await srv.api('GET', '/');
    expect(r.status).toBe(200);
    expect(r.body.service).toBe('Outpost Server');
    expect(r.body.endpoints).toMatchObject({ health: '/health', status: '/status', metrics: '/metrics' });
    expect(r.body.websocket.path).toBe('/ws');
  });

  it.each(['/health', '/api/health'])('%s reports a healthy database and zero sockets', async (path) => {
    const r = await srv.api('GET', path);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'healthy', database: { status: 'connected', kind: TEST_STORE } });
    expect(r.body.connections).toEqual({ active: 0, total: 0 });
    expect(r.body.memory.used).toBeGreaterThan(0);
  });

  it.each(['/status', '/api/status'])('%s reports server, database and websocket figures', async (path) => {
    const r = await srv.api('GET', path);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('operational');
    expect(r.body.server.node_version).toBe(process.versions.node);
    expect(r.body.websocket).toEqual({
      active_connections: 0,
      by_transport: { ws: 0, socketio: 0 },
      total_connections: 0,
      rooms: 0,
      events_per_minute: 0,
    });
  });

  it('/metrics is Prometheus text with the seed 003 series and counts requests', async () => {
    await srv.api('GET', '/health');
    const r = await srv.api('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    expect(r.text).toMatch(/^websocket_connections_total{transport="ws"} 0$/m);
    expect(r.text).toMatch(/^websocket_connections_total{transport="socketio"} 0$/m);
    expect(r.text).toMatch(/^websocket_connections_active{transport="ws"} 0$/m);
    expect(r.text).toMatch(/^websocket_connections_active{transport="socketio"} 0$/m);
    expect(r.text).toMatch(/^http_requests_total\{method="GET",status="200"\} \d+$/m);
    expect(r.text).toContain('process_resident_memory_bytes');
  });

  it('unknown routes answer the error envelope, not a stack trace', async () => {
    const r = await srv.api('GET', '/api/does-not-exist');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({
      success: false,
      error: 'Route GET /api/does-not-exist not found',
      code: 'ROUTE_NOT_FOUND',
    });
  });

  it('serves an OpenAPI 3.1 document', async () => {
    const r = await srv.api('GET', '/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    expect(Object.keys(r.body.paths)).toContain('/health');
  });
});
