import { randomBytes } from 'node:crypto';
import { hashPassword } from './auth/password.js';
import type { FirstStartNotices } from './config.js';
import type { Store } from './store/store.js';

/**
 * First start only (no users yet): creates the admin from OUTPOST_ADMIN_USER / OUTPOST_ADMIN_PASSWORD, or
 * generates a password that the CLI prints once. Later starts never touch existing users.
 */
export async function bootstrapAdmin(
  store: Store,
  env: NodeJS.ProcessEnv,
  notices: FirstStartNotices,
): Promise<void> {
  if ((await store.users.count()) > 0) return;
  const username = (env.OUTPOST_ADMIN_USER ?? 'admin').trim() || 'admin';
  let password = env.OUTPOST_ADMIN_PASSWORD ?? '';
  if (password.length === 0) {
    password = randomBytes(12).toString('base64url');
    notices.generatedAdmin = { username, password };
  } else if (password.length < 8) {
    throw new Error('OUTPOST_ADMIN_PASSWORD must be at least 8 characters');
  }
  await store.users.create({
    username,
    password_hash: await hashPassword(password),
    role: 'admin',
    name: 'Administrator',
  });
}
