/**
 * The agent API as the headless bridge sees it while the agent may not exist yet: the web UI listens first (so a
 * start that has to ask where secrets go, or that fails, can still say so in the browser), and the agent is
 * attached once it is built. Calls before that get one clear error; event listeners are kept and moved over.
 */
import type { UiEvent } from '../../../src-shared/ipc/events.js';
import { fail, type Result } from '../../../src-shared/result.js';
import type { AgentApi } from '../../agent/api.js';

export class LateAgentApi implements AgentApi {
  private target: AgentApi | null = null;
  private readonly listeners = new Map<(e: UiEvent) => void, () => void>();

  attach(api: AgentApi): void {
    this.target = api;
    for (const listener of this.listeners.keys()) this.listeners.set(listener, api.onEvent(listener));
  }

  get ready(): boolean {
    return this.target !== null;
  }

  async invoke(channel: unknown, payload: unknown): Promise<Result<unknown>> {
    if (!this.target)
      return fail('SERVICE_UNAVAILABLE', 'The agent is still starting: try again in a moment');
    return this.target.invoke(channel, payload);
  }

  onEvent(listener: (e: UiEvent) => void): () => void {
    this.listeners.set(listener, this.target ? this.target.onEvent(listener) : () => undefined);
    return () => {
      this.listeners.get(listener)?.();
      this.listeners.delete(listener);
    };
  }
}
