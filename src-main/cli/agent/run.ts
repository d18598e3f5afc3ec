/**
 * `run`: the long-lived headless agent. Starts all services, prints heartbeat state changes, and on SIGTERM/SIGINT
 * stops them in order and exits 0 (hard exit after 4.5 s if something hangs). `--json` prints one JSON line per
 * event instead (the bench reads them).
 */
import type { DeviceStatus } from '../../agent/events.js';
import type { AgentCommand } from './command.js';

export const runCommand: AgentCommand = {
  name: 'run',
  summary: 'stay up: heartbeats (and other services) until SIGTERM',
  usage: 'run',
  async run(ctx) {
    const agent = await ctx.openAgent();
    const t0 = performance.now();
    let last: DeviceStatus['heartbeat'] | null = null;
    let firstOk = false;
    agent.events.on((e) => {
      if (e.type !== 'device.status') return;
      const s = e.data;
      if (!firstOk && s.last_success_at) {
        firstOk = true;
        const ms = Math.round(performance.now() - t0);
        if (ctx.globals.json)
          ctx.printJson({ event: 'first_heartbeat', ms_since_start: ms, latency_ms: s.last_latency_ms });
        else ctx.print(`First heartbeat OK ${ms} ms after start (${s.last_latency_ms ?? '?'} ms round trip)`);
      }
      if (s.heartbeat !== last) {
        last = s.heartbeat;
        if (ctx.globals.json)
          ctx.printJson({ event: 'heartbeat', state: s.heartbeat, last_error: s.last_error });
        else
          ctx.print(
            `Heartbeat: ${s.heartbeat}${s.last_error && s.heartbeat !== 'active' ? ` (${s.last_error})` : ''}`,
          );
      }
    });
    await agent.start();
    const st = agent.device.status();
    if (ctx.globals.json) ctx.printJson({ event: 'started', pid: process.pid, status: st });
    else if (!st.registered)
      ctx.print(`Agent running, device not registered (key ${agent.device.ownDeviceKey()}).`);
    else ctx.print(`Agent running as ${st.device_key} against ${st.server_url}.`);

    const keepAlive = setInterval(() => undefined, 1 << 30);
    return new Promise<number>((resolve) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        if (!ctx.globals.json) ctx.print(`${signal}: stopping`);
        setTimeout(() => {
          process.stderr.write('outpost agent: shutdown took longer than 4.5 s, exiting\n');
          process.exit(1);
        }, 4500).unref();
        agent.stop().then(
          () => {
            clearInterval(keepAlive);
            resolve(0);
          },
          (err: unknown) => {
            process.stderr.write(
              `outpost agent: stop failed: ${err instanceof Error ? err.message : String(err)}\n`,
            );
            clearInterval(keepAlive);
            resolve(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
  },
};
