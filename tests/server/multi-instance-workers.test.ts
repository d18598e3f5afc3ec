import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, enroll, eventually, spawnServer, type ChildServer } from './multi-instance-helpers.js';

/** A POST on a connection of its own, so node:cluster's round-robin hands each one to the next worker. */
function freshPost(url: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      { method: 'POST', agent: false, headers: { ...headers, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

function workerPids(primary: number): number[] {
  try {
    // Only the server workers: tsx's esbuild service is a child of the primary too.
    return execFileSync('ps', ['--ppid', String(primary), '-o', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('src-main/cli/server.ts'))
      .map((l) => Number(l.trim().split(/\s+/)[0]))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** `npm run server -- --workers 3`: three processes on one port and one SQLite data dir. */
describe('--workers 3 on the SQLite store', () => {
  let dir: string;
  let srv: ChildServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-workers-'));
    srv = await spawnServer(dir, { args: ['--workers', '3'] });
  }, 90_000);

  afterAll(async () => {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves on one port from three worker processes, and a revoke made through one is refused by all', async () => {
    expect(srv.stdout()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(data dir .*, 3 workers\)/);
    expect(workerPids(srv.proc.pid!)).toHaveLength(3);
    const d = await enroll(srv);
    const hb = () =>
      freshPost(srv.url, `/api/devices/${d.key}/online`, { authorization: `Bearer ${d.secret}` });
    // Six fresh connections go round the three workers twice: every worker has the secret cached now.
    for (let i = 0; i < 6; i++) expect(await hb()).toBe(200);
    expect((await srv.api('DELETE', `/api/admin/devices/${d.key}`, undefined, admin)).status).toBe(200);
    const refusals = await eventually(
      async () => Promise.all(Array.from({ length: 6 }, hb)),
      (codes) => codes.every((c) => c === 401),
    );
    expect(refusals).toEqual([401, 401, 401, 401, 401, 401]);
  });

  it('a worker killed with SIGKILL is replaced and the server keeps answering', async () => {
    const before = workerPids(srv.proc.pid!);
    process.kill(before[0]!, 'SIGKILL');
    const after = await eventually(
      async () => workerPids(srv.proc.pid!),
      (pids) => pids.length === 3 && !pids.includes(before[0]!),
      60_000,
    );
    expect(after).toHaveLength(3);
    expect(after).not.toContain(before[0]);
    const statuses = await Promise.all(
      Array.from({ length: 6 }, () => freshPost(srv.url, '/api/auth/login', {})),
    );
    // Every worker answers (a validation error: the body is empty), none is a dead end.
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400]);
  }, 90_000);

  it('SIGTERM to the primary stops every worker and exits 0', async () => {
    const pids = workerPids(srv.proc.pid!);
    expect(await srv.stop()).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 30_000);
});
