import type { AgentCommand } from './command.js';

export const syncCommand: AgentCommand = {
  name: 'sync',
  summary: 'push queued copies to the server and pull quotas',
  usage: 'sync',
  async run(ctx) {
    const agent = await ctx.openAgent();
    const report = await agent.station.syncNow();
    const q = agent.station.queue().counts;
    if (ctx.globals.json)
      ctx.printJson({ ok: true, report, queue: { pending: q.pending, failed: q.failed } });
    else {
      ctx.print(
        `Synced: ${report.synced} accepted, ${report.failed} refused (of ${report.pushed} pushed); ${report.pulled} quotas pulled.`,
      );
      if (q.failed > 0) ctx.print(`${q.failed} failed op(s) need attention: see \`queue\`.`);
    }
    return 0;
  },
};
