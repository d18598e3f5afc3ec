/**
 * Command-line mistakes in the headless agent, as real child processes: each is refused before anything is
 * opened or written, exits 2 (the README's "usage" status), and the one line on stderr names the flag.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'outpost-cli-flags-'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function agentCli(args: string[]): Promise<Run> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src-main/cli/agent.ts', '--data-dir', dataDir, ...args],
    { cwd: root, env: { ...process.env, OUTPOST_SERVER_URL: '' } },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const cases: Array<[string, string[], RegExp]> = [
  ['--server notaurl', ['--server', 'notaurl', 'status'], /--server must be an http:\/\/ or https:\/\/ URL/],
  ['--server ftp://…', ['--server', 'ftp://files.example', 'status'], /--server must be an http/],
  [
    'copy --client abc',
    ['copy', '--client', 'abc', '--uid', '04AB12CD'],
    /--client must be a positive whole number/,
  ],
  [
    'copy --client 0',
    ['copy', '--client', '0', '--uid', '04AB12CD'],
    /--client must be a positive whole number/,
  ],
  ['copy without --uid', ['copy', '--client', '1'], /--uid is required/],
  [
    'copy --uid of 5 bytes',
    ['copy', '--client', '1', '--uid', '04:AB:12:CD:34'],
    /--uid: UID must be 4, 7 or 10 bytes/,
  ],
  [
    'register --token AB-CD-E',
    ['register', '--token', 'AB-CD-E'],
    /--token is not a registration token: it has 5 characters/,
  ],
  [
    'register --device-key "a b/c"',
    ['register', '--token', 'ABC123', '--device-key', 'a/b'],
    /--device-key is not a device key/,
  ],
  ['ui --port 99999', ['ui', '--port', '99999'], /--port must be a port number from 0 to 65535/],
  ['--log-level loud', ['--log-level', 'loud', 'status'], /--log-level must be one of/],
  ['a misspelt flag', ['copy', '--clinet', '1'], /--clinet/],
];

// Each child compiles with tsx and loads the agent: seconds apiece on a busy 2-core machine.
describe('npm run agent: flag errors', { timeout: 120_000 }, () => {
  it.each(cases)('%s → exit 2, one line naming the flag, nothing written', async (_name, args, said) => {
    const r = await agentCli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(said);
    expect(r.stderr).toMatch(/^outpost agent: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    // Refused before the agent opened anything: no settings.json, no station.db.
    expect(existsSync(join(dataDir, 'settings.json'))).toBe(false);
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('--json puts the usage error on stdout as {ok:false, error:{code:"USAGE"}}', async () => {
    const r = await agentCli(['--json', 'copy', '--client', '-3', '--uid', '04AB12CD']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      ok: false,
      error: { code: 'USAGE', message: expect.stringContaining('--client') },
    });
  });
});
