import type { AgentCommand } from './command.js';

export const queueCommand: AgentCommand = {
  name: 'queue',
  summary: 'show the station queue (pending / synced / failed) and local quotas',
  usage: 'queue [--json]',
  async run(ctx) {
    const agent = await ctx.openAgent();
    await agent.station.ready();
    const queue = agent.station.queue();
    const quotas = agent.station.quotas();
    const { auth, device_id } = agent.station.diagnostics();
    if (ctx.globals.json) {
      ctx.printJson({ ...queue, quotas, auth, device_id });
      return 0;
    }
    const { counts } = queue;
    ctx.print(
      `Queue: ${counts.pending} pending, ${counts.synced} synced, ${counts.failed} failed (login: ${auth})`,
    );
    for (const f of queue.failed) {
      ctx.print(
        `  failed ${f.uuid}  client ${f.client_id}  uid ${f.uid ?? '-'}  ${f.error ?? ''}  (${f.created_at})`,
      );
    }
    if (quotas.length === 0) ctx.print('Quotas: none yet (log in and sync).');
    for (const q of quotas)
      ctx.print(
        `Client ${q.name ?? q.client_id}: ${q.remaining} left${q.total === null ? '' : ` of ${q.total}`}`,
      );
    return 0;
  },
};
