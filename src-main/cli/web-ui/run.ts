/**
 * Headless composition root (`npm run agent -- --ui`, and `npm start` where Electron is missing), with the
 * desktop shell's start-up (agent/startup.ts): settings → secrets (createAgent) → agent stack assembled →
 * embedded server (its own process) → agent services → web bridge. Standalone is the default on first start:
 * the embedded server runs on 127.0.0.1 and the agent points at it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbeddedServer } from '../../agent/admin/embedded-server.js';
import { createAgent, type Agent } from '../../agent/agent.js';
import type { AgentApi } from '../../agent/api.js';
import { recoveredSettingsNotice, settingsPath } from '../../agent/settings/settings.js';
import { assembleAgentStack } from '../../agent/startup.js';
import { startWebUi, type WebUi } from './bridge-server.js';
import { forkServerSpawner } from './fork-server.js';

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
}

export interface Headless {
  agent: Agent;
  api: AgentApi;
  server: EmbeddedServer;
  ui: WebUi;
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
  const dataDir = resolve(opts.dataDir);
  const firstStart = !existsSync(settingsPath(dataDir));
  const agent = await createAgent({
    dataDir,
    env: opts.env,
    secretsFile: opts.secretsFile,
    keyringService: opts.keyringService,
    serverUrl: opts.serverUrl,
    logging: { level: opts.logLevel ?? opts.env?.OUTPOST_LOG_LEVEL ?? process.env.OUTPOST_LOG_LEVEL },
  });
  // Said where the operator looks, not only in the log and the Settings banner: their edit was not applied.
  if (agent.settings.recovered) opts.print(recoveredSettingsNotice(agent.settings.recovered));
  if (firstStart && !opts.serverUrl) {
    const { port } = agent.settings.get().embedded_server;
    agent.settings.update({ embedded_server: { mode: 'local', port } });
  }
  const stack = assembleAgentStack({
    agent,
    spawner: forkServerSpawner({ onNotice: opts.print }),
    app: { name: 'Outpost', version: appVersion(), shell: 'headless', electron: null },
    env: opts.env,
  });
  const { api, server } = stack;
  const serverStatus = await stack.start();
  if (serverStatus.last_error) opts.print(serverStatus.last_error);
  else if (serverStatus.running) opts.print(`Embedded server running on ${serverStatus.url}`);

  let ui: WebUi;
  try {
    ui = await startWebUi({
      api,
      staticDir: opts.staticDir ?? DEFAULT_STATIC_DIR,
      port: opts.port,
      token: opts.token,
    });
  } catch (err) {
    await stack.stop();
    throw err;
  }
  // The --ui mode counts as an open UI for the plugin heartbeat.
  await api.invoke('ui.opened', {});

  let stopping: Promise<void> | undefined;
  return {
    agent,
    api,
    server,
    ui,
    stop() {
      stopping ??= (async () => {
        await ui.close();
        await api.invoke('ui.closed', {});
        await stack.stop();
      })();
      return stopping;
    },
  };
}
