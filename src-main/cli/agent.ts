/**
 * `npm run agent -- [--server URL] [--data-dir DIR] [--secrets-file] [--json] <command> [options]`
 * The headless device agent. Commands live in ./agent/ (registry: ./agent/commands.ts). Human output by default,
 * `--json` for scripts; on failure the reason goes to stderr and the exit code is ≠ 0 (2 = usage, 1 = failure).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createAgent, type Agent } from '../agent/agent.js';
import { EXIT_FAILURE, EXIT_USAGE, exitCodeFor, isAgentError } from '../agent/errors.js';
import { closeLogging, createLogger } from '../agent/logging/logger.js';
import { recoveredSettingsNotice } from '../agent/settings/settings.js';
import { UsageError, type CommandContext, type GlobalOptions } from './agent/command.js';
import { commands, findCommand } from './agent/commands.js';
import { httpUrl, logLevel } from './agent/flags.js';

const GLOBAL_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  server: { type: 'string' },
  'data-dir': { type: 'string' },
  'secrets-file': { type: 'boolean' },
  json: { type: 'boolean' },
  'log-level': { type: 'string' },
  'keyring-service': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};
const VALUE_OPTIONS = new Set(['--server', '--data-dir', '--log-level', '--keyring-service']);

function usage(): string {
  const width = Math.max(...commands.map((c) => c.usage.length));
  return [
    'usage: npm run agent -- [--server URL] [--data-dir DIR] [--secrets-file] [--json] <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'global options:',
    '  --server URL      server base URL for this run (overrides the active profile; env OUTPOST_SERVER_URL)',
    '  --data-dir DIR    agent data dir (default ~/.outpost)',
    '  --secrets-file    keep secrets in an encrypted file instead of the OS keyring (headless opt-in)',
    '  --json            machine-readable output',
    '  --log-level L     log level for <data-dir>/logs/app.log (default info)',
  ].join('\n');
}

/** Splits argv into [global part, command name, command args]. */
function split(argv: string[]): { pre: string[]; name?: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') continue;
    if (!a.startsWith('-')) return { pre: argv.slice(0, i), name: a, rest: argv.slice(i + 1) };
    if (VALUE_OPTIONS.has(a)) i++;
  }
  return { pre: argv, rest: [] };
}

async function main(argv: string[]): Promise<number> {
  // `--ui` is the web UI command spelled as a flag: `--ui --port 0` ≡ `ui --port 0`.
  const { pre, name, rest } = split(argv.filter((a) => a !== '--').map((a) => (a === '--ui' ? 'ui' : a)));
  const g = parseArgs({ args: pre, options: GLOBAL_OPTIONS, strict: true, allowPositionals: false }).values;
  if (g.help || !name) {
    (name || g.help ? process.stdout : process.stderr).write(`${usage()}\n`);
    return g.help ? 0 : EXIT_USAGE;
  }
  const cmd = findCommand(name);
  if (!cmd) throw new UsageError(`unknown command '${name}'\n${usage()}`);
  const parsed = parseArgs({
    args: rest,
    options: { ...GLOBAL_OPTIONS, ...cmd.options },
    strict: true,
    allowPositionals: cmd.allowPositionals ?? false,
  });
  const v = { ...g, ...parsed.values } as Record<string, string | boolean | undefined>;
  if (v.help) {
    process.stdout.write(`usage: npm run agent -- [global options] ${cmd.usage}\n`);
    return 0;
  }
  const globals: GlobalOptions = {
    server: httpUrl(v.server as string | undefined, 'server'),
    dataDir: resolve(
      (v['data-dir'] as string | undefined) ?? process.env.OUTPOST_DATA_DIR ?? join(homedir(), '.outpost'),
    ),
    secretsFile: Boolean(v['secrets-file']),
    json: Boolean(v.json),
    logLevel: logLevel(v['log-level'] as string | undefined, 'log-level'),
    keyringService: (v['keyring-service'] as string | undefined) ?? process.env.OUTPOST_KEYRING_SERVICE,
  };
  let agent: Agent | null = null;
  const ctx: CommandContext = {
    globals,
    values: parsed.values,
    positionals: parsed.positionals,
    async openAgent() {
      agent ??= await createAgent({
        dataDir: globals.dataDir,
        serverUrl: globals.server,
        secretsFile: globals.secretsFile,
        keyringService: globals.keyringService,
        logging: { level: globals.logLevel },
      });
      const bad = agent.settings.recovered;
      if (bad) {
        // Said where the operator looks, not only in the log: their edit was not applied.
        process.stderr.write(`outpost agent: ${recoveredSettingsNotice(bad)}\n`);
      }
      return agent;
    },
    print: (line) => process.stdout.write(`${line}\n`),
    printJson: (value) => process.stdout.write(`${JSON.stringify(value)}\n`),
  };
  try {
    return await cmd.run(ctx);
  } finally {
    await (agent as Agent | null)?.stop();
  }
}

/** One line on stderr (and the error as JSON with --json); the exit status comes from the code's catalogue entry. */
function fail(err: unknown, json: boolean): number {
  // node:util's parseArgs names the flag itself ("Unknown option '--clinet'"): a usage error like ours.
  const parseErr = (err as { code?: unknown })?.code?.toString().startsWith('ERR_PARSE_ARGS') === true;
  const message = err instanceof Error ? err.message : String(err);
  const code = isAgentError(err) ? err.code : parseErr ? 'USAGE' : 'ERROR';
  if (json)
    process.stdout.write(
      `${JSON.stringify({ ok: false, error: { code, message: message.split('\n')[0] } })}\n`,
    );
  process.stderr.write(`outpost agent: ${message}\n`);
  return isAgentError(err) ? exitCodeFor(err.code) : parseErr ? EXIT_USAGE : EXIT_FAILURE;
}

// Last line of defence for an unattended station: a stray rejected promise is a bug to log, not a reason to stop
// heartbeats and sync (Node's default would end the process). Uncaught exceptions still end it: state unknown.
process.on('unhandledRejection', (reason) => {
  createLogger('process').error({ err: reason }, 'unhandled promise rejection (kept running)');
  process.stderr.write(
    `outpost agent: unhandled promise rejection: ${String((reason as Error)?.message ?? reason)}\n`,
  );
});

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    closeLogging();
    process.exitCode = code;
  },
  (err: unknown) => {
    closeLogging();
    process.exitCode = fail(err, argv.includes('--json'));
  },
);
