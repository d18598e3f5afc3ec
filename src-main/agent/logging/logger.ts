/**
 * The agent's one logger factory. `createLogger('device')` works at import time; until `initLogging` runs the
 * output goes nowhere (tests and library use stay quiet), afterwards JSON lines go to <dataDir>/logs/app.log
 * (size-rotated, 5 × 5 MB) and optionally stderr. Levels follow seed 004: info = registration done / heartbeat
 * sent, debug = heartbeat details and collected device info, warn = connection failures and token problems,
 * error = failures that stop an operation. Every record is scrubbed (see redact.ts) before it is serialised.
 */
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { RotatingFile } from './rotating-file.js';
import { scrub, scrubString } from './redact.js';

interface Sink {
  write(chunk: string): unknown;
}

/** Destination whose target changes at initLogging, so loggers made before it follow along. */
class SwitchableDestination {
  targets: Sink[] = [];
  write(chunk: string): void {
    for (const t of this.targets) t.write(chunk);
  }
}

const destination = new SwitchableDestination();
let file: RotatingFile | null = null;
let currentLevel = 'silent';
// Named loggers made so far: pino children copy the level at creation, so initLogging re-levels them.
const loggers = new Set<Logger>();

const root = pino(
  {
    level: 'trace',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // redact.ts flattens errors itself (and must see them before any serializer copies an AxiosError's config).
    serializers: { err: (e: unknown) => e },
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => scrub(obj) as Record<string, unknown>,
    },
    hooks: {
      // Messages and printf arguments are scrubbed too (formatters.log only sees the merged object).
      logMethod(args, method) {
        const clean = args.map((a) => (typeof a === 'string' ? scrubString(a) : a)) as Parameters<
          typeof method
        >;
        return method.apply(this, clean);
      },
    },
  },
  destination,
);

export interface LoggingOptions {
  dataDir: string;
  level?: string;
  stdout?: boolean;
  maxBytes?: number;
  keep?: number;
}

export function initLogging(opts: LoggingOptions): void {
  file?.close();
  file = new RotatingFile({ path: logFilePath(opts.dataDir), maxBytes: opts.maxBytes, keep: opts.keep });
  destination.targets = opts.stdout ? [file, process.stderr] : [file];
  currentLevel = opts.level ?? process.env.OUTPOST_LOG_LEVEL ?? 'info';
  for (const l of loggers) l.level = currentLevel;
}

/** Stops writing to the file (tests, agent shutdown). Loggers stay usable and become silent. */
export function closeLogging(): void {
  destination.targets = [];
  file?.close();
  file = null;
  currentLevel = 'silent';
  for (const l of loggers) l.level = 'silent';
}

export function logFilePath(dataDir: string): string {
  return join(dataDir, 'logs', 'app.log');
}

export function createLogger(name: string): Logger {
  const child = root.child({ name });
  child.level = currentLevel;
  loggers.add(child);
  return child;
}
