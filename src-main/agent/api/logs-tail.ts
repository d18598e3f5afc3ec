/**
 * `logs.tail`: the last lines of <dataDir>/logs/app.log at or above a level. Reads the file from its end in
 * chunks (never the whole 5 MB file), parses the JSON lines the logger writes and skips anything else.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLevel, LogLine } from '../../../src-shared/ipc/channels.js';

const ORDER: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const PINO_NUMERIC: Record<number, LogLevel> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const CHUNK = 64 * 1024;
const MAX_BYTES = 4 * 1024 * 1024;

export const logsDir = (dataDir: string): string => join(dataDir, 'logs');
export const logFile = (dataDir: string): string => join(logsDir(dataDir), 'app.log');

function toLine(text: string): LogLine | null {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  const level = typeof rec.level === 'number' ? PINO_NUMERIC[rec.level] : (rec.level as LogLevel);
  if (!level || !ORDER.includes(level)) return null;
  const time =
    typeof rec.time === 'number'
      ? new Date(rec.time).toISOString()
      : typeof rec.time === 'string'
        ? rec.time
        : '';
  return {
    time,
    level,
    name: typeof rec.name === 'string' ? rec.name : null,
    msg: typeof rec.msg === 'string' ? rec.msg.slice(0, 2000) : '',
  };
}

export async function tailLog(
  dataDir: string,
  opts: { lines?: number; level?: LogLevel } = {},
): Promise<{ lines: LogLine[]; file: string }> {
  const file = logFile(dataDir);
  const want = Math.min(opts.lines ?? 500, 500);
  const min = ORDER.indexOf(opts.level ?? 'trace');
  const size = await stat(file).then(
    (s) => s.size,
    () => -1,
  );
  if (size <= 0) return { lines: [], file };
  const fh = await open(file, 'r');
  try {
    const picked: LogLine[] = [];
    let pos = size;
    let carry = '';
    while (pos > 0 && picked.length < want && size - pos < MAX_BYTES) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      const parts = (buf.toString('utf8') + carry).split('\n');
      carry = pos > 0 ? (parts.shift() ?? '') : '';
      for (let i = parts.length - 1; i >= 0 && picked.length < want; i--) {
        const line = toLine(parts[i]!.trim());
        if (line && ORDER.indexOf(line.level) >= min) picked.push(line);
      }
    }
    if (pos === 0 && carry && picked.length < want) {
      const line = toLine(carry.trim());
      if (line && ORDER.indexOf(line.level) >= min) picked.push(line);
    }
    return { lines: picked.reverse(), file };
  } finally {
    await fh.close();
  }
}
