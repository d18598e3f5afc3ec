import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeLogging, createLogger, initLogging, logFilePath } from '../../src-main/agent/logging/logger.js';
import { scrub } from '../../src-main/agent/logging/redact.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'outpost-log-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  closeLogging();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const lines = (dir: string) =>
  readFileSync(logFilePath(dir), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('agent logger', () => {
  it('a logger made before initLogging writes JSON lines (level, time, name, msg) once logging starts, file mode 0600', () => {
    const log = createLogger('early');
    log.info('dropped: logging not started');
    const dir = tempDir();
    initLogging({ dataDir: dir });
    log.info({ n: 1 }, 'hello');
    const [rec] = lines(dir);
    expect(rec).toMatchObject({ level: 'info', name: 'early', n: 1, msg: 'hello' });
    expect(typeof rec!.time).toBe('string');
    expect(statSync(logFilePath(dir)).mode & 0o777).toBe(0o600);
  });

  it('honours the level (debug hidden at info)', () => {
    const dir = tempDir();
    initLogging({ dataDir: dir, level: 'info' });
    const log = createLogger('lvl');
    log.debug('hidden');
    log.warn('shown');
    expect(lines(dir).map((l) => l.msg)).toEqual(['shown']);
  });

  it.each([
    ['device_secret', { device_secret: 'SECRET-VALUE-1' }],
    ['nested Authorization header', { req: { headers: { Authorization: 'Token SECRET-VALUE-1' } } }],
    ['password', { password: 'SECRET-VALUE-1' }],
    ['token_code', { token_code: 'SECRET-VALUE-1' }],
    ['api key', { 'x-api-key': 'SECRET-VALUE-1' }],
    ['jwt in an array', { sessions: [{ jwt: 'SECRET-VALUE-1' }] }],
  ])('redacts by key: %s', (_n, obj) => {
    const dir = tempDir();
    initLogging({ dataDir: dir });
    createLogger('redact').info(obj, 'record');
    const text = readFileSync(logFilePath(dir), 'utf8');
    expect(text).not.toContain('SECRET-VALUE-1');
    expect(text).toContain('[REDACTED]');
  });

  it.each([
    [
      'a bearer token in the message',
      (l: ReturnType<typeof createLogger>) => l.warn('sent Bearer abcdefghijkl12345'),
    ],
    [
      'a bearer token in a free-text field',
      (l: ReturnType<typeof createLogger>) =>
        l.warn({ detail: 'Authorization: Bearer abcdefghijkl12345' }, 'x'),
    ],
    [
      'an error whose message and axios config carry it',
      (l: ReturnType<typeof createLogger>) =>
        l.error(
          {
            err: Object.assign(new Error('failed: Bearer abcdefghijkl12345'), {
              config: { headers: { Authorization: 'Bearer abcdefghijkl12345' } },
            }),
          },
          'request failed',
        ),
    ],
    [
      'a JWT anywhere',
      (l: ReturnType<typeof createLogger>) =>
        l.info({ note: 'eyJhbGciOiJI.eyJzdWIiOiIx.abcdefghijkl12345' }, 'x'),
    ],
  ])('censors by value: %s', (_n, write) => {
    const dir = tempDir();
    initLogging({ dataDir: dir });
    write(createLogger('censor'));
    expect(readFileSync(logFilePath(dir), 'utf8')).not.toContain('abcdefghijkl12345');
  });

  it('keeps harmless fields that merely look secret-ish (counts, flags, timestamps)', () => {
    expect(
      scrub({ has_token: true, token_count: 3, last_success_at: 'x', secrets_backend: 'keyring' }),
    ).toEqual({
      has_token: true,
      token_count: 3,
      last_success_at: 'x',
      secrets_backend: 'keyring',
    });
  });

  it('rotates by size and keeps at most `keep` files', () => {
    const dir = tempDir();
    initLogging({ dataDir: dir, maxBytes: 2_000, keep: 3 });
    const log = createLogger('rot');
    for (let i = 0; i < 200; i++) log.info({ i, pad: 'x'.repeat(50) }, 'line');
    const files = readdirSync(join(dir, 'logs')).sort();
    expect(files).toEqual(['app.log', 'app.log.1', 'app.log.2']);
    for (const f of files) expect(statSync(join(dir, 'logs', f)).size).toBeLessThanOrEqual(2_000);
    const last = lines(dir).at(-1);
    expect(last?.i).toBe(199); // the newest record is in the live file
  });
});
