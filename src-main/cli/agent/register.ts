import type { AgentCommand } from './command.js';
import { UsageError } from './command.js';
import { describeStatus } from './format.js';

export const registerCommand: AgentCommand = {
  name: 'register',
  summary: 'register this device with a one-time token',
  usage: 'register --token ABC123 [--device-key KEY]',
  options: { token: { type: 'string' }, 'device-key': { type: 'string' } },
  async run(ctx) {
    const token = ctx.values.token;
    if (typeof token !== 'string') throw new UsageError('register needs --token <6 hex characters>');
    const key = typeof ctx.values['device-key'] === 'string' ? ctx.values['device-key'] : undefined;
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
