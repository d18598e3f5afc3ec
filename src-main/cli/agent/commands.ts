/**
 * The headless agent's command registry. To add a command: write `src-main/cli/agent/<name>.ts` exporting an
 * AgentCommand (see command.ts) and add ONE line to the list below.
 */
import type { AgentCommand } from './command.js';
import { heartbeatCommand } from './heartbeat.js';
import { licenseCommand } from './license.js';
import { registerCommand } from './register.js';
import { runCommand } from './run.js';
import { copyCommand } from './station-copy.js';
import { loginCommand } from './station-login.js';
import { stationCommand } from './station.js';
import { queueCommand } from './station-queue.js';
import { syncCommand } from './station-sync.js';
import { statusCommand } from './status.js';
import { unregisterCommand } from './unregister.js';
import { uiCommand } from '../web-ui/ui-command.js';

export const commands: AgentCommand[] = [
  registerCommand,
  heartbeatCommand,
  statusCommand,
  unregisterCommand,
  runCommand,
  loginCommand,
  copyCommand,
  syncCommand,
  queueCommand,
  uiCommand,
  licenseCommand,
  stationCommand,
];

export function findCommand(name: string): AgentCommand | undefined {
  return commands.find((c) => c.name === name);
}
