/**
 * A data dir that cannot be used ends the process at once with one line naming the path and the reason. Node's
 * recursive mkdir spins forever under /proc (ENOENT for a child of an existing dir), so the real CLIs run in
 * child processes here: a hang shows up as this test's timeout, not as a pass.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirError, ensureDataDir } from '../../src-shared/data-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'outpost-data-dir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OUTPOST_')) env[k] = v;
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('ensureDataDir', () => {
  it.each([['agent', ensureDataDir]] as const)(
    '%s: creates missing levels with mode 0700 and names the path and reason when it cannot',
    (_n, fn) => {
      const dir = join(tmp, _n, 'a', 'b');
      expect(fn(dir)).toBe(dir);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(fn(dir)).toBe(dir); // existing: fine

      expect(() => fn('/proc/outpost-test/x')).toThrow(
        'cannot use data dir /proc/outpost-test/x: directories cannot be created there',
      );
      const file = join(tmp, `${_n}-file`);
      writeFileSync(file, '');
      expect(() => fn(join(file, 'sub'))).toThrow('a part of the path is a file, not a directory');
    },
  );

  it('throws a DataDirError with the path and reason apart', () => {
    try {
      ensureDataDir('/proc/outpost-test');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DataDirError);
      expect(err).toMatchObject({ path: '/proc/outpost-test', code: 'DATA_DIR_UNUSABLE' });
    }
  });
});

describe('CLIs with an unusable --data-dir exit at once with one line', { timeout: 60_000 }, () => {
  it.each([
    [
      'server',
      ['src-main/cli/server.ts', '--port', '0', '--data-dir', '/proc/outpost-srv'],
      'outpost server',
    ],
    [
      'agent status',
      ['src-main/cli/agent.ts', '--data-dir', '/proc/outpost-ag', '--secrets-file', 'status'],
      'outpost agent',
    ],
    [
      'agent --ui',
      ['src-main/cli/agent.ts', '--data-dir', '/proc/outpost-ui', '--ui', '--port', '0'],
      'outpost agent',
    ],
    ['npm start (headless)', ['src-main/cli/start.ts', '--data-dir', '/proc/outpost-start'], 'outpost'],
  ])('%s', async (_name, args, prefix) => {
    const dir = args[args.indexOf('--data-dir') + 1]!;
    const r = await run(args);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([`${prefix}: cannot use data dir ${dir}: directories cannot be created there`]);
  });
});
