/**
 * Browser side of the headless web UI's shell state (start-up, one-time admin credentials, the secret-store
 * question): a ShellBridge over `POST /bridge/shell/<action>` and the `{ shell }` frames of the event socket,
 * so the same components serve the desktop window and the browser. Answers are validated like channel answers.
 */
import { z } from 'zod';
import type { Result } from '../result.js';
import type { Transport } from './api-types.js';
import { BRIDGE_SHELL_FRAME_KEY, BRIDGE_SHELL_PATH, type BridgeShellAction } from './bridge-protocol.js';
import type { ShellBridge, ShellState } from './shell-state.js';

const ShellStateSchema: z.ZodType<ShellState> = z.object({
  startup: z.object({ phase: z.enum(['starting', 'ready', 'failed']), error: z.string().nullable() }),
  admin_notice: z.object({ username: z.string(), password: z.string() }).nullable(),
  agent: z
    .object({
      phase: z.enum(['waiting-for-secrets', 'starting', 'ready', 'failed']),
      error: z.string().nullable(),
    })
    .optional(),
  secrets_choice: z
    .object({ reason: z.string(), file_path: z.string(), flag: z.literal('--secrets-file') })
    .nullable()
    .optional(),
});

export function createWebShellBridge(
  transport: Pick<Transport, 'subscribe'>,
  opts: { baseUrl?: string; fetchImpl?: typeof fetch } = {},
): ShellBridge {
  const base = (opts.baseUrl ?? globalThis.location?.origin ?? '').replace(/\/$/, '');
  const doFetch = opts.fetchImpl ?? globalThis.fetch.bind(globalThis);

  async function call(action: BridgeShellAction): Promise<Result<ShellState>> {
    try {
      const res = await doFetch(`${base}${BRIDGE_SHELL_PATH}${action}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      if (!res.ok) return { ok: false, error: { code: 'TRANSPORT_ERROR', message: `HTTP ${res.status}` } };
      const raw = (await res.json()) as {
        ok?: unknown;
        value?: unknown;
        error?: { code?: unknown; message?: unknown };
      };
      if (raw.ok !== true) {
        return {
          ok: false,
          error: {
            code: typeof raw.error?.code === 'string' ? raw.error.code : 'TRANSPORT_ERROR',
            message: typeof raw.error?.message === 'string' ? raw.error.message : 'Request failed',
          },
        };
      }
      const parsed = ShellStateSchema.safeParse(raw.value);
      return parsed.success
        ? { ok: true, value: parsed.data }
        : { ok: false, error: { code: 'INVALID_RESULT', message: 'Unexpected shell state' } };
    } catch (err) {
      return {
        ok: false,
        error: { code: 'TRANSPORT_ERROR', message: err instanceof Error ? err.message : String(err) },
      };
    }
  }

  return {
    state: () => call('state'),
    dismissAdminNotice: () => call('dismiss-admin-notice'),
    useSecretsFile: () => call('use-secrets-file'),
    onChange(listener) {
      return transport.subscribe((raw) => {
        if (typeof raw !== 'object' || raw === null || !(BRIDGE_SHELL_FRAME_KEY in raw)) return;
        const parsed = ShellStateSchema.safeParse((raw as Record<string, unknown>)[BRIDGE_SHELL_FRAME_KEY]);
        if (parsed.success) listener(parsed.data);
      });
    },
  };
}
