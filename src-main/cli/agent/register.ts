import type { AgentCommand } from './command.js';
import { deviceKey, tokenCode } from './flags.js';
import { describeStatus } from './format.js';

export const registerCommand: AgentCommand = {
  name: 'register',
  summary: 'register this device with a one-time token',
  usage: 'register --token ABC123 [--device-key KEY]',
  options: { token: { type: 'string' }, 'device-key': { type: 'string' } },
  async run(ctx) {
    const token = tokenCode(ctx.values, 'token');
    const key = deviceKey(ctx.values, 'device-key');
    const agent = await ctx.openAgent();
    const status = await agent.device.register(token, key);
    if (ctx.globals.json) ctx.printJson({ ok: true, status });
    else {
      ctx.print(`Registered as ${status.device_key} on ${status.server_url}.`);
      ctx.print(describeStatus(status));
    }
    return 0;
  },
};
