import type { AgentCommand } from './command.js';
import { positiveInt, uid as uidFlag } from './flags.js';

export const copyCommand: AgentCommand = {
  name: 'copy',
  summary: 'record one copy for a client (offline; synced later)',
  usage: 'copy --client 1 --uid 04AB12CD34EF56',
  options: { client: { type: 'string' }, uid: { type: 'string' } },
  async run(ctx) {
    const client = positiveInt(ctx.values, 'client', 'the client id from the quota list');
    const uid = uidFlag(ctx.values, 'uid');
    const agent = await ctx.openAgent();
    const copy = agent.station.recordCopy(client, uid);
    if (ctx.globals.json) ctx.printJson({ ok: true, copy });
    else
      ctx.print(
        `Recorded copy ${copy.uuid} of ${copy.uid} for client ${copy.client_id}; ${copy.remaining} left.`,
      );
    return 0;
  },
};
