/**
 * The start-up both composition roots share (agent/startup.ts), over a real agent and a real forked embedded
 * server: nothing touches the network while assembling, start() brings the server up before the agent's services
 * (so the first heartbeat already goes to it), stop() takes them down in reverse.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgent } from '../../src-main/agent/agent.js';
import { createMemorySecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { assembleAgentStack, type AgentStack } from '../../src-main/agent/startup.js';
import { forkServerSpawner } from '../../src-main/cli/web-ui/fork-server.js';

const app = { name: 'Outpost', version: '0', shell: 'headless' as const, electron: null };

describe('shared agent start-up', () => {
  let dir: string;
  let stack: AgentStack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('assembles without network, starts server then services, stops in reverse (twice is harmless)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'outpost-startup-'));
    const agent = await createAgent({
      dataDir: dir,
      secrets: createMemorySecretStore(),
      logging: false,
      station: { realtime: false },
    });
    agent.settings.update({ embedded_server: { mode: 'local', port: 0 } });
    const order: string[] = [];
    const spawn = forkServerSpawner();
    stack = assembleAgentStack({
      agent,
      app,
      spawner: (o) => {
        order.push('server spawned');
        return spawn(o);
      },
    });
    const startAgent = agent.start.bind(agent);
    agent.start = async () => {
      order.push('agent services started');
      await startAgent();
    };

    // Assembled: the API answers, nothing is running yet.
    expect(order).toEqual([]);
    const before = await stack.api.invoke('server.status', {});
    expect(before).toMatchObject({ ok: true, value: { running: false } });

    const status = await stack.start();
    expect(order).toEqual(['server spawned', 'agent services started']);
    expect(status).toMatchObject({ running: true, agent_points_here: true });
    // The agent's services were started against the server that was already up.
    expect(agent.device.status().server_url).toBe(status.url);
    expect(await stack.start()).toBe(status); // one start, however often asked

    await stack.stop();
    await stack.stop();
    expect(stack.server.status().running).toBe(false);
    // The station database is closed: the services really stopped.
    expect(() => agent.station.queue()).toThrow();
  });
});
