import type { AgentCommand } from './command.js';
import { UsageError } from './command.js';

export const heartbeatCommand: AgentCommand = {
  name: 'heartbeat',
  summary: 'send one heartbeat now (Test Heartbeat)',
  usage: 'heartbeat --now',
  options: { now: { type: 'boolean', default: false } },
  async run(ctx) {
    if (!ctx.values.now) throw new UsageError('heartbeat needs --now (the loop itself runs with `run`)');
    const agent = await ctx.openAgent();
    const r = await agent.device.heartbeatNow();
    if (ctx.globals.json) ctx.printJson(r);
    else if (r.ok) ctx.print(`Heartbeat OK: ${r.message} (${r.latency_ms ?? '?'} ms)`);
    if (!r.ok) {
      process.stderr.write(`outpost agent: ${r.message}\n`);
      return 1;
    }
    return 0;
  },
};
