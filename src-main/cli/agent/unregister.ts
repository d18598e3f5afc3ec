import type { AgentCommand } from './command.js';

export const unregisterCommand: AgentCommand = {
  name: 'unregister',
  summary: 'forget the registration locally (device secret and device_info.json)',
  usage: 'unregister',
  async run(ctx) {
    const agent = await ctx.openAgent();
    const before = agent.device.status();
    const status = await agent.device.unregister();
    if (ctx.globals.json) ctx.printJson({ ok: true, status });
    else
      ctx.print(
        before.registered
          ? `Unregistered ${before.device_key} (local state and secret removed).`
          : 'Not registered: nothing to do.',
      );
    return 0;
  },
};
