/**
 * The agent API adapter: channel → agent service call, shared by both transports (Electron IPC in
 * src-main/app, the headless web bridge in src-main/cli/web-ui). Everything arriving is `unknown` until the
 * channel's input schema has parsed it; everything leaving is parsed by the output schema (which strips
 * undeclared fields) and scanned for secret-looking keys. Errors become `Result` failures: AgentError keeps its
 * code and operator message, a validation problem says which field, anything else is logged and answered with
 * a generic INTERNAL_ERROR (no stack, no internals).
 */
import { ZodError } from 'zod';
import {
  channels,
  isChannel,
  TRANSPORT_ERRORS,
  UiEvent,
  type Channel,
  type ChannelOutput,
} from '../../src-shared/ipc/channels.js';
import type { Result } from '../../src-shared/result.js';
import type { AdminClient } from './admin/admin-client.js';
import type { ServerController } from './admin/embedded-server.js';
import type { AgentServices } from './agent.js';
import { createHandlers, type AppInfoBase, type HandlerDeps, type Handlers } from './api/handlers.js';
import { findSecretKey, withoutSecrets } from './api/secret-guard.js';
import { describeError, isAgentError } from './errors.js';
import type { AgentEvent } from './events.js';
import { createLogger } from './logging/logger.js';

export type { AppInfoBase } from './api/handlers.js';

const log = createLogger('api');

export const INTERNAL_MESSAGE = 'Something went wrong inside the agent: the details are in the log';

export interface AgentApiOptions {
  agent: AgentServices;
  app: AppInfoBase;
  server?: ServerController;
  admin?: AdminClient;
  console?: HandlerDeps['console'];
  openLogsFolder?: (path: string) => Promise<boolean>;
  env?: NodeJS.ProcessEnv;
}

export interface AgentApi {
  /** Runs one call; never throws. `channel` and `payload` come straight from the transport. */
  invoke(channel: unknown, payload: unknown): Promise<Result<unknown>>;
  /** UI events (validated, secret-free); returns the unsubscribe function. */
  onEvent(listener: (e: UiEvent) => void): () => void;
}

function validationMessage(err: ZodError): string {
  const parts = err.issues.slice(0, 5).map((i) => {
    const field = i.path.map(String).join('.');
    return field ? `${field}: ${i.message}` : i.message;
  });
  return `Invalid input: ${parts.join('; ')}`;
}

export function createAgentApi(opts: AgentApiOptions): AgentApi {
  const handlers: Handlers = createHandlers(opts);

  async function invoke(channel: unknown, payload: unknown): Promise<Result<unknown>> {
    if (!isChannel(channel)) {
      return { ok: false, error: { code: TRANSPORT_ERRORS.UNKNOWN_CHANNEL, message: 'Unknown API call' } };
    }
    const def = channels[channel];
    const input = def.input.safeParse(payload);
    if (!input.success) {
      return { ok: false, error: { code: 'VALIDATION_ERROR', message: validationMessage(input.error) } };
    }
    let raw: unknown;
    try {
      const handler = handlers[channel] as (
        i: unknown,
      ) => Promise<ChannelOutput<Channel>> | ChannelOutput<Channel>;
      raw = await handler(input.data);
    } catch (err) {
      if (isAgentError(err)) {
        return { ok: false, error: { code: String(err.code), message: err.message } };
      }
      if (err instanceof ZodError) {
        return { ok: false, error: { code: 'VALIDATION_ERROR', message: validationMessage(err) } };
      }
      log.error({ channel, err: describeError(err) }, 'agent API call failed');
      return { ok: false, error: { code: 'INTERNAL_ERROR', message: INTERNAL_MESSAGE } };
    }
    const output = def.output.safeParse(raw);
    if (!output.success) {
      log.error(
        { channel, issues: output.error.issues.slice(0, 5) },
        'agent API answer does not fit its schema',
      );
      return { ok: false, error: { code: 'INTERNAL_ERROR', message: INTERNAL_MESSAGE } };
    }
    const secretAt = findSecretKey(output.data);
    if (secretAt) {
      // Never the value: only where it was.
      log.error({ channel, field: secretAt }, 'refused to return a secret-looking field');
      return { ok: false, error: { code: 'INTERNAL_ERROR', message: INTERNAL_MESSAGE } };
    }
    return { ok: true, value: output.data };
  }

  function toUiEvent(e: AgentEvent): UiEvent {
    switch (e.type) {
      case 'station.copy-recorded':
        // The UI shows counts and quotas, which a recorded copy changes: it gets the full status.
        return { type: 'station.status', data: opts.agent.station.status() };
      case 'realtime':
        // Server-sent payloads are not the agent's to vouch for: secret-looking keys never pass.
        return { type: e.type, data: { event: e.data.event, data: withoutSecrets(e.data.data) } };
      default:
        return e;
    }
  }

  function onEvent(listener: (e: UiEvent) => void): () => void {
    const deliver = (raw: unknown, type: string) => {
      const parsed = UiEvent.safeParse(raw);
      if (!parsed.success || findSecretKey(parsed.data.data)) {
        log.debug({ type }, 'event dropped: does not fit the UI event schema');
        return;
      }
      listener(parsed.data);
    };
    const offAgent = opts.agent.events.on((e) => {
      try {
        deliver(toUiEvent(e), e.type);
      } catch (err) {
        log.debug({ type: e.type, err: describeError(err) }, 'event not forwarded');
      }
    });
    const offServer = opts.server?.onStatus((s) =>
      deliver({ type: 'server.status', data: s }, 'server.status'),
    );
    return () => {
      offAgent();
      offServer?.();
    };
  }

  return { invoke, onEvent };
}
