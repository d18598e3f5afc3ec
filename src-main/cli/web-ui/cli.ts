/**
 * `--ui` entry: parses the headless flags, runs the agent + embedded server + web bridge until SIGTERM/SIGINT,
 * prints the tokenised URL once. Used by `npm run agent -- --ui [--port P]` and by `npm start` without Electron.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runHeadless } from './run.js';

export const UI_USAGE =
  'usage: npm run agent -- --ui [--port P] [--data-dir DIR] [--server URL] [--secrets-file] [--no-open]';

/** The data dir the flags and environment name (checked by `npm start` before it spends time building). */
export function uiDataDir(argv: string[]): string {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  return typeof values['data-dir'] === 'string'
    ? values['data-dir']
    : (process.env.OUTPOST_DATA_DIR ?? join(homedir(), '.outpost'));
}

export async function runUiCli(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ui: { type: 'boolean', default: true },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      server: { type: 'string' },
      'secrets-file': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: false,
    allowPositionals: true,
  });
  if (values.help) {
    console.log(UI_USAGE);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid --port '${String(values.port)}'`);
  const dataDir = uiDataDir(argv);

  const app = await runHeadless({
    dataDir,
    port,
    serverUrl: typeof values.server === 'string' ? values.server : undefined,
    secretsFile: values['secrets-file'] === true,
    keyringService: process.env.OUTPOST_KEYRING_SERVICE,
    print: (line) => console.log(line),
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the web UI, the agent and the embedded server`);
    setTimeout(() => process.exit(1), 10_000).unref();
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`stop failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
