import { z } from 'zod';
import { NoInput, NullableTimestamp } from './common.js';
import { EmbeddedServerMode } from './settings.js';

export const ServerStatus = z.object({
  mode: EmbeddedServerMode,
  port: z.number().int(),
  /** The embedded server process is up and answering /health. */
  running: z.boolean(),
  /** Base URL the agent uses for it (http://127.0.0.1:port), null when off. */
  url: z.string().nullable(),
  /** The active profile points at the embedded server. */
  agent_points_here: z.boolean(),
  started_at: NullableTimestamp,
  last_error: z.string().nullable(),
  /** Admin console calls are possible (server running and admin API key held by main). */
  admin_available: z.boolean(),
  /** After a crash: when the supervisor starts it again (backoff), null otherwise. */
  restarting_at: NullableTimestamp.optional(),
  /** Crashes in a row since it last ran steadily (or since Restart). */
  crashes: z.number().int().min(0).optional(),
});
export type ServerStatus = z.infer<typeof ServerStatus>;

export const server = {
  'server.status': { input: NoInput, output: ServerStatus },
  /**
   * off / local (127.0.0.1) / lan (0.0.0.0, explicit opt-in: the UI warns first and must send
   * `confirm_lan: true`); the agent's active profile then points at it.
   */
  'server.configure': {
    input: z.strictObject({
      mode: EmbeddedServerMode,
      port: z.number().int().min(1024).max(65535).optional(),
      confirm_lan: z.boolean().optional(),
    }),
    output: ServerStatus,
  },
  /** The Restart button: stops the server (or its pending restart) and starts it now; refused while off. */
  'server.restart': { input: NoInput, output: ServerStatus },
} as const;
