/**
 * The desktop app's own command-line flags, the same names the headless agent takes, so `npm start -- --data-dir
 * DIR --port P --secrets-file` means the same thing whichever shell runs. Chromium's switches share argv and are
 * left alone (strict: false). OUTPOST_USER_DATA gives a run its own data dir without flags (the CI smoke test).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface LaunchOptions {
  /** Replaces Electron's userData dir (settings, station.db, logs, the server's data). */
  dataDir: string | null;
  /** The embedded server's port (saved to settings, as the Settings page does). */
  port: number | null;
  secretsFile: boolean;
  allowInsecureSecretStorage: boolean;
}

export function parseLaunchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): LaunchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'secrets-file': { type: 'boolean', default: false },
      'allow-insecure-secret-storage': { type: 'boolean', default: false },
    },
    strict: false,
    allowPositionals: true,
  });
  const rawDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : env.OUTPOST_USER_DATA;
  let port: number | null = null;
  if (values.port !== undefined) {
    const raw = typeof values.port === 'string' ? values.port : '';
    port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error('--port must be a number from 0 to 65535');
    }
  }
  return {
    dataDir: rawDir ? resolve(rawDir) : null,
    port,
    secretsFile: values['secrets-file'] === true,
    allowInsecureSecretStorage:
      values['allow-insecure-secret-storage'] === true || env.OUTPOST_ALLOW_BASIC_TEXT === '1',
  };
}
