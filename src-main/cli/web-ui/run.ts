/**
 * Headless composition root (`npm run agent -- --ui`, and `npm start` where Electron is missing): web bridge →
 * secrets → settings (createAgent) → the desktop shell's ordered start-up (agent/startup.ts: embedded server in
 * its own process → agent services) → API attached to the bridge. The web UI listens first so a start that must
 * ask where secrets go (no OS keyring) or that fails can say so in the browser; secrets come before settings, as
 * in the desktop shell, so a start that fails there writes no settings.json and the retry is still a first start.
 * Standalone is the default on first start: the embedded server runs on 127.0.0.1 and the agent points at it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbeddedServer } from '../../agent/admin/embedded-server.js';
import { createAgent, type Agent } from '../../agent/agent.js';
import type { AgentApi } from '../../agent/api.js';
import { ensureDataDir } from '../../../src-shared/data-dir.js';
import { describeError } from '../../agent/errors.js';
import { recoveredSettingsNotice, settingsPath } from '../../agent/settings/settings.js';
import { assembleAgentStack, type AgentStack } from '../../agent/startup.js';
import { ShellStatus } from '../../app/shell-status.js';
import { startWebUi, type WebUi } from './bridge-server.js';
import { forkServerSpawner } from './fork-server.js';
import { openHeadlessSecrets } from './headless-secrets.js';
import { LateAgentApi } from './late-api.js';
import { launchCommand } from './no-token-page.js';

/**
 * The project root, from source (src-main/cli/web-ui), the tsc output (dist/src-main/cli/web-ui) or the agent
 * bundle (dist/agent): the nearest ancestor with a package.json and a source tree or a built renderer.
 */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const marker = existsSync(join(dir, 'src-main')) || existsSync(join(dir, 'dist/renderer'));
    if (existsSync(join(dir, 'package.json')) && marker) return dir;
    dir = dirname(dir);
  }
  return fileURLToPath(new URL('../../../', import.meta.url));
}

export const DEFAULT_STATIC_DIR = join(projectRoot(), 'dist/renderer');

export interface HeadlessOptions {
  dataDir: string;
  /** Web UI port (default: ephemeral). */
  port?: number;
  secretsFile?: boolean;
  keyringService?: string;
  serverUrl?: string;
  logLevel?: string;
  staticDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Where operator-facing lines go (the CLI passes console.log). */
  print: (line: string) => void;
  /** Fixed bridge token (tests). */
  token?: string;
  /** What the operator ran (named on the web UI's page for a browser without the token). */
  command?: string;
}

export interface Headless {
  agent: Agent;
  api: AgentApi;
  server: EmbeddedServer;
  ui: WebUi;
  shell: ShellStatus;
  stop(): Promise<void>;
}

export function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export async function runHeadless(opts: HeadlessOptions): Promise<Headless> {
  const dataDir = ensureDataDir(opts.dataDir);
  // Decided before anything below writes to the data dir; nothing written by a start that fails changes it.
  const firstStart = !existsSync(settingsPath(dataDir));
  const shell = new ShellStatus();
  shell.setAgent('starting');
  const late = new LateAgentApi();
  const ui = await startWebUi({
    api: late,
    shell,
    command: opts.command ?? launchCommand(opts.env ?? process.env),
    staticDir: opts.staticDir ?? DEFAULT_STATIC_DIR,
    port: opts.port,
    token: opts.token,
  });
  // The URL carries the per-launch token: printed for the operator, never logged. Printed as soon as the UI
  // has something to ask, otherwise once the agent answers.
  let urlPrinted = false;
  const printUrl = () => {
    if (urlPrinted) return;
    urlPrinted = true;
    opts.print(`Outpost web UI: ${ui.url}`);
  };

  let agent: Agent | undefined;
  let stack: AgentStack | undefined;
  try {
    const secrets = await openHeadlessSecrets({
      dataDir,
      secretsFile: opts.secretsFile,
      keyringService: opts.keyringService,
      print: opts.print,
      ask: (choice) => {
        const chosen = shell.askForSecretsFile(choice);
        printUrl();
        return chosen;
      },
    });
    agent = await createAgent({
      dataDir,
      env: opts.env,
      secrets,
      serverUrl: opts.serverUrl,
      logging: { level: opts.logLevel ?? opts.env?.OUTPOST_LOG_LEVEL ?? process.env.OUTPOST_LOG_LEVEL },
    });
    const built = agent;
    // Said where the operator looks, not only in the log and the Settings banner: their edit was not applied.
    if (built.settings.recovered) opts.print(recoveredSettingsNotice(built.settings.recovered));
    if (firstStart && !opts.serverUrl) {
      // OUTPOST_EMBEDDED_PORT: another port than 8787 for a fresh data dir (a machine where it is taken).
      const env = opts.env ?? process.env;
      const wanted = Number(env.OUTPOST_EMBEDDED_PORT);
      const port =
        env.OUTPOST_EMBEDDED_PORT && Number.isInteger(wanted) && wanted >= 0 && wanted <= 65535
          ? wanted
          : built.settings.get().embedded_server.port;
      built.settings.update({ embedded_server: { mode: 'local', port } });
    }
    stack = assembleAgentStack({
      agent: built,
      spawner: forkServerSpawner({
        onNotice: opts.print,
        // The password goes to the web UI's memory too (shown once, until dismissed), never to the log.
        onAdminNotice: (notice) => shell.setAdminNotice(notice),
      }),
      app: { name: 'Outpost', version: appVersion(), shell: 'headless', electron: null },
      env: opts.env,
    });
    const started = stack;
    const { api, server } = started;
    const serverStatus = await started.start();
    if (serverStatus.last_error) {
      opts.print(serverStatus.last_error);
      shell.setStartup('failed', serverStatus.last_error);
    } else {
      if (serverStatus.running) opts.print(`Embedded server running on ${serverStatus.url}`);
      shell.setStartup('ready');
    }
    late.attach(api);
    shell.setAgent('ready');
    // The --ui mode counts as an open UI for the plugin heartbeat.
    await api.invoke('ui.opened', {});
    printUrl();

    let stopping: Promise<void> | undefined;
    return {
      agent: built,
      api,
      server,
      ui,
      shell,
      stop() {
        stopping ??= (async () => {
          await ui.close();
          await api.invoke('ui.closed', {});
          await started.stop();
        })();
        return stopping;
      },
    };
  } catch (err) {
    shell.setAgent('failed', describeError(err));
    await ui.close();
    if (stack) await stack.stop();
    else await agent?.stop();
    throw err;
  }
}
