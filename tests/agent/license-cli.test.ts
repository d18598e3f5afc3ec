import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const root = join(import.meta.dirname, '..', '..');
// The license needs no secret; --secrets-file keeps these runs independent of the OS keyring.
const env = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', OUTPOST_SERVER_URL: '' };

function agentCli(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/agent.ts', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run agent -- license …', { timeout: 120_000 }, () => {
  let srv: TestServer;
  let dataDir: string;
  beforeAll(async () => {
    srv = await startTestServer();
    dataDir = mkdtempSync(join(tmpdir(), 'outpost-license-cli-'));
  });
  afterAll(async () => {
    await srv.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('activate --key --email → status --json (active) → deactivate → status --json (none)', async () => {
    const gen = await srv.api(
      'POST',
      '/api/licenses/generate',
      { duration_days: 90 },
      { 'X-API-Key': srv.apiKey },
    );
    const key = gen.body.data.license_key as string;
    const g = ['--server', srv.url, '--data-dir', dataDir, '--secrets-file'];

    const act = await agentCli([...g, 'license', 'activate', '--key', key, '--email', 'cli@example.com']);
    expect(act.stderr).toBe('');
    expect(act.code).toBe(0);
    expect(act.stdout).toContain(`License:     active (${key})`);

    const st = await agentCli([...g, '--json', 'license', 'status']);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ state: 'active', license_key: key, days_left: 90 });

    const de = await agentCli([...g, 'license', 'deactivate']);
    expect(de.code).toBe(0);
    expect(de.stdout).toContain('License deactivated');

    const after = await agentCli([...g, '--json', 'license', 'status', '--offline']);
    expect(JSON.parse(after.stdout)).toMatchObject({ state: 'none' });
  });

  it('activate with an unknown key → exit 1 with the 404 reason on stderr', async () => {
    const r = await agentCli([
      '--server',
      srv.url,
      '--data-dir',
      dataDir,
      '--secrets-file',
      'license',
      'activate',
      '--key',
      'PROGRAN3-2025-AAAAAA-BBBBBB',
      '--email',
      'x@example.com',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/404/);
  });

  it('license activate without --key, and an unknown subcommand → exit 2 (usage)', async () => {
    const g = ['--data-dir', dataDir, '--secrets-file', 'license'];
    expect((await agentCli([...g, 'activate', '--email', 'x@example.com'])).code).toBe(2);
    expect((await agentCli([...g, 'renew'])).code).toBe(2);
  });
});
