/**
 * Transport-agnostic API client for the renderer: `createApiClient(window.outpost)` in Electron (preload's
 * object implements `Transport`), `createApiClient(createWebBridgeTransport())` headless. It validates what
 * comes back — the envelope and the channel's output schema — so a broken or hostile transport yields an
 * `{ok:false}` Result, never a wrong-typed value and never a thrown error.
 */
import type { Result } from '../result.js';
import type { Api, CallFn, EventListener, FlatApi, Transport } from './api-types.js';
import { channels, TRANSPORT_ERRORS, type Channel, type ChannelOutput } from './channels.js';
import { UiEvent } from './events.js';
import { groupCalls } from './group.js';

export interface ApiClient {
  /** Grouped, task-shaped: `client.api.device.register({ token })`. */
  api: Api;
  /** Flat: `client.invoke('device.register', { token })`. */
  invoke<C extends Channel>(channel: C, ...input: Parameters<CallFn<C>>): Promise<Result<ChannelOutput<C>>>;
  onEvent(listener: EventListener): () => void;
}

const transportError = (message: string): Result<never> => ({
  ok: false,
  error: { code: TRANSPORT_ERRORS.TRANSPORT_ERROR, message },
});

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Checks an answer from the transport against the envelope and the channel's output schema. */
export function checkResult<C extends Channel>(channel: C, raw: unknown): Result<ChannelOutput<C>> {
  if (typeof raw !== 'object' || raw === null || typeof (raw as { ok?: unknown }).ok !== 'boolean') {
    return transportError(`Malformed answer for ${channel}`);
  }
  const env = raw as { ok: boolean; value?: unknown; error?: { code?: unknown; message?: unknown } };
  if (!env.ok) {
    const code = typeof env.error?.code === 'string' ? env.error.code : TRANSPORT_ERRORS.TRANSPORT_ERROR;
    const message = typeof env.error?.message === 'string' ? env.error.message : 'Request failed';
    return { ok: false, error: { code, message } };
  }
  const parsed = channels[channel].output.safeParse(env.value);
  if (!parsed.success) {
    return {
      ok: false,
      error: { code: TRANSPORT_ERRORS.INVALID_RESULT, message: `Unexpected answer for ${channel}` },
    };
  }
  return { ok: true, value: parsed.data as ChannelOutput<C> };
}

export function createApiClient(transport: Transport): ApiClient {
  const invoke = async (channel: Channel, input?: unknown): Promise<Result<unknown>> => {
    let raw: unknown;
    try {
      raw = await transport.invoke(channel, input === undefined ? {} : input);
    } catch (err) {
      return transportError(`Could not reach the agent (${describe(err)}): is it still running?`);
    }
    return checkResult(channel, raw);
  };
  const onEvent = (listener: EventListener): (() => void) =>
    transport.subscribe((raw) => {
      const parsed = UiEvent.safeParse(raw);
      if (parsed.success) listener(parsed.data);
    });
  const api = { ...groupCalls(invoke), onEvent } as unknown as Api;
  return { api, invoke: invoke as ApiClient['invoke'], onEvent };
}

/** The flat form of an Api, for code that builds calls from channel names. */
export type { FlatApi };
