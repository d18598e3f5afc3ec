/** A corrupt settings.json is said on the command line (one stderr line naming the file), not only in the log. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'outpost-settings-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function agentCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src-main/cli/agent.ts', '--data-dir', dataDir, '--secrets-file', ...args],
    {
      cwd: root,
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', OUTPOST_SERVER_URL: '' },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run agent -- with a corrupt settings.json', { timeout: 120_000 }, () => {
  it('the command still runs, and stderr names the file, the reason and where the bad file went', async () => {
    const content = '{"active": "lab", "profiles": [ secret-looking-garbage';
    writeFileSync(join(dataDir, 'settings.json'), content);
    const r = await agentCli(['--json', 'queue']);
    expect(r.code, r.stderr).toBe(0);
    const aside = readdirSync(dataDir).find((f) => f.startsWith('settings.json.corrupt-'));
    expect(aside).toBeDefined();
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `outpost agent: ${join(dataDir, 'settings.json')} was corrupt (not valid JSON): using default settings; ` +
        `the bad file was kept as ${join(dataDir, aside!)}`,
    );
    expect(r.stderr).not.toContain('secret-looking-garbage');
    // The next run reads the clean defaults: nothing more to say.
    const again = await agentCli(['--json', 'queue']);
    expect(again.stderr).toBe('');
  });
});
