/**
 * What a headless agent command is. The dispatcher (../agent.ts) parses the global options, looks the command up
 * in commands.ts, parses the command's own options and calls run(). A command returns its exit code; it throws
 * for failures (AgentError → its message on stderr, the exit status its code has in the catalogue: 2 for a
 * usage error, 1 otherwise).
 */
import type { ParseArgsConfig } from 'node:util';
import type { Agent } from '../../agent/agent.js';
import { AgentError } from '../../agent/errors.js';

export interface GlobalOptions {
  server?: string;
  dataDir: string;
  secretsFile: boolean;
  json: boolean;
  logLevel?: string;
  keyringService?: string;
}

export interface CommandContext {
  globals: GlobalOptions;
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  /** Builds the agent (settings, secrets, services) for this command; not started. */
  openAgent(): Promise<Agent>;
  /** Human output (stdout). */
  print(line: string): void;
  /** `--json` output: one JSON document on stdout. */
  printJson(value: unknown): void;
}

export interface AgentCommand {
  name: string;
  summary: string;
  usage: string;
  options?: NonNullable<ParseArgsConfig['options']>;
  allowPositionals?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

/** The command line itself is wrong: the catalogue's USAGE code, exit 2. The message names the flag. */
export class UsageError extends AgentError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('USAGE', message);
  }
}
