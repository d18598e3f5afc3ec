import { z } from 'zod';
import { Done, NoInput, Timestamp } from './common.js';

export const LogLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
export type LogLevel = z.infer<typeof LogLevel>;

export const LogLine = z.object({
  time: Timestamp,
  level: LogLevel,
  name: z.string().nullable(),
  msg: z.string(),
});
export type LogLine = z.infer<typeof LogLine>;

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  /** 'electron' in the desktop shell, 'headless' behind the web bridge. */
  shell: z.enum(['electron', 'headless']),
  electron: z.string().nullable(),
  node: z.string(),
  platform: z.string(),
  arch: z.string(),
  data_dir: z.string(),
  logs_dir: z.string(),
  secret_backend: z.string(),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const app = {
  /** Last lines of logs/app.log (≤ 500), at or above `level`, oldest first. */
  'logs.tail': {
    input: z
      .strictObject({ lines: z.number().int().min(1).max(500).optional(), level: LogLevel.optional() })
      .optional(),
    output: z.object({ lines: z.array(LogLine), file: z.string() }),
  },
  'app.info': { input: NoInput, output: AppInfo },
  /** Electron opens the folder; headless answers opened:false with the path to show. */
  'app.openLogsFolder': { input: NoInput, output: z.object({ opened: z.boolean(), path: z.string() }) },
  /** Plugin activity heartbeat (seed 000): the UI was opened / closed. */
  'ui.opened': { input: NoInput, output: Done },
  'ui.closed': { input: NoInput, output: Done },
} as const;
