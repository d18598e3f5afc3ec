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
    const status = agent.station.status();
    if (ctx.globals.json) {
      ctx.printJson({ ...queue, quotas, auth: status.auth, device_id: status.device_id });
      return 0;
    }
    ctx.print(
      `Queue: ${queue.pending} pending, ${queue.synced} synced, ${queue.failed} failed (login: ${status.auth})`,
    );
    for (const f of queue.failed_items) {
      ctx.print(
        `  failed ${f.uuid}  client ${f.client_id}  uid ${f.uid ?? '-'}  ${f.error ?? ''}  (${f.created_at})`,
      );
    }
    if (quotas.length === 0) ctx.print('Quotas: none yet (log in and sync).');
    for (const q of quotas)
      ctx.print(`Client ${q.client_id}: ${q.remaining} left (server ${q.server_remaining})`);
    return 0;
  },
};
