import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { STATION_USER, clientOnServer, createClient, createStationUser } from './station-helpers.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
let srv: TestServer;
let dir: string;
let clientId: number;

beforeAll(async () => {
  srv = await startTestServer();
  clientId = await createClient(srv, 'CliCo', 2);
  await createStationUser(srv);
  dir = mkdtempSync(join(tmpdir(), 'outpost-station-cli-'));
});
afterAll(async () => {
  await srv.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** `npm run agent -- …` as a real child process (tsx), with the encrypted file store (no keyring needed). */
async function agent(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = [
    '--import',
    'tsx',
    'src-main/cli/agent.ts',
    '--server',
    srv.url,
    '--data-dir',
    dir,
    '--secrets-file',
    ...args,
  ];
  const p = run(process.execPath, argv, { cwd: ROOT, timeout: 60_000 });
  if (input !== undefined) {
    p.child.stdin?.end(input);
  }
  try {
    const { stdout, stderr } = await p;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('npm run agent -- login / copy / sync / queue', () => {
  it('logs in (credentials piped to the prompt), records, syncs and shows the queue as JSON', async () => {
    const login = await agent(['login'], `${STATION_USER.username}\n${STATION_USER.password}\n`);
    expect(login.stderr).not.toContain(STATION_USER.password);
    expect(login.stdout).not.toContain(STATION_USER.password);
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Logged in as ${STATION_USER.username}`);

    expect((await agent(['sync'])).code).toBe(0);
    const copy = await agent(['copy', '--client', String(clientId), '--uid', '04AB12CD34EF56']);
    expect(copy.code).toBe(0);
    expect(copy.stdout).toMatch(/Recorded copy .* of 04AB12CD34EF56 .* 1 left/);

    const bad = await agent(['copy', '--client', String(clientId), '--uid', '04AB12CD34']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--uid: UID must be 4, 7 or 10 bytes');

    const sync = await agent(['sync']);
    expect(sync.stdout).toContain('Synced: 1 accepted');
    expect(await clientOnServer(srv, clientId)).toMatchObject({ used: 1, remaining: 1 });

    const queue = await agent(['queue', '--json']);
    expect(JSON.parse(queue.stdout)).toMatchObject({
      counts: { pending: 0, synced: 1, failed: 0 },
      failed: [],
      pending: [],
      auth: 'logged_in',
      quotas: [{ client_id: clientId, remaining: 1 }],
    });
  }, 120_000);

  it('login with a wrong password exits 1 with a clear message; copy without --uid is a usage error (2)', async () => {
    const login = await agent(['login', '--username', STATION_USER.username, '--password', 'wrong-password']);
    expect(login.code).toBe(1);
    expect(login.stderr).toContain('Wrong username or password');
    const usage = await agent(['copy', '--client', '1']);
    expect(usage.code).toBe(2);
  }, 60_000);
});
