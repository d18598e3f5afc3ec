import type { AgentCommand } from './command.js';
import { describeStatus } from './format.js';

export const statusCommand: AgentCommand = {
  name: 'status',
  summary: 'show registration and heartbeat status',
  usage: 'status [--json]',
  async run(ctx) {
    const agent = await ctx.openAgent();
    const status = agent.device.status();
    const extra = {
      data_dir: agent.dataDir,
      secrets_backend: agent.secrets.backend,
      own_device_key: status.device_key ?? agent.device.ownDeviceKey(),
      profile: agent.settings.activeProfile().name,
    };
    if (ctx.globals.json) {
      ctx.printJson({ ...status, ...extra });
      return 0;
    }
    ctx.print(describeStatus(status));
    if (!status.registered) {
      ctx.print(
        `Device key:  ${extra.own_device_key} (give it to your administrator, then register with the token)`,
      );
    }
    ctx.print(`Data dir:    ${extra.data_dir} (secrets: ${extra.secrets_backend})`);
    return 0;
  },
};
