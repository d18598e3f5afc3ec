/**
 * `npm run agent -- --ui [--port P]` (also `… ui`): the headless agent with its web UI and, when settings say
 * so (standalone is the default on first start), the embedded server. Runs until SIGTERM/SIGINT.
 */
import type { AgentCommand } from '../agent/command.js';
import { port as portFlag } from '../agent/flags.js';

export const uiCommand: AgentCommand = {
  name: 'ui',
  summary: 'serve the web UI on 127.0.0.1 (same API as the desktop app) until SIGTERM; also --ui',
  usage: 'ui | --ui [--port P]',
  options: { port: { type: 'string' } },
  async run(ctx) {
    const port = portFlag(ctx.values, 'port') ?? 0;
    // Loaded on demand: the bridge, the IPC schemas and the embedded-server wiring are dead weight (several MB
    // of RSS) for every other agent command, the long-running `run` included (the agent's idle memory budget).
    const { runHeadless } = await import('./run.js');
    const app = await runHeadless({
      dataDir: ctx.globals.dataDir,
      port,
      serverUrl: ctx.globals.server,
      secretsFile: ctx.globals.secretsFile,
      keyringService: ctx.globals.keyringService,
      logLevel: ctx.globals.logLevel,
      print: ctx.print,
    });
    return new Promise<number>((resolve) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        ctx.print(`${signal}: stopping the web UI, the agent and the embedded server`);
        setTimeout(() => {
          process.stderr.write('outpost agent: shutdown took longer than 10 s, exiting\n');
          process.exit(1);
        }, 10_000).unref();
        app.stop().then(
          () => resolve(0),
          (err: unknown) => {
            process.stderr.write(
              `outpost agent: stop failed: ${err instanceof Error ? err.message : String(err)}\n`,
            );
            resolve(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
  },
};
