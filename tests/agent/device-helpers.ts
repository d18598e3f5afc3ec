/** Shared bits for the agent device/CLI tests: temp dirs, unique keyring services, admin calls, polling. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, type Agent, type AgentOptions } from '../../src-main/agent/agent.js';
import { openSecretStore } from '../../src-main/agent/secrets/secret-store.js';
import type { TestServer } from '../helpers/server.js';

export function uniqueService(tag: string): string {
  return `outpost-test-${tag}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export class TempDirs {
  private dirs: string[] = [];
  make(prefix = 'outpost-agent-'): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }
  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

/** Deletes every account the agent uses under this keyring service. */
export async function clearKeyring(service: string): Promise<void> {
  const store = await openSecretStore({ dataDir: tmpdir(), service });
  for (const a of ['device_secret', 'jwt', 'profile_token:default']) await store.delete(a);
}

export async function adminCreateDevice(
  srv: TestServer,
  deviceKey?: string,
): Promise<{ device_key: string; token_code: string }> {
  const res = await srv.api('POST', '/api/admin/devices', deviceKey ? { device_key: deviceKey } : {}, {
    'X-API-Key': srv.apiKey,
  });
  if (res.status !== 200) throw new Error(`admin create device: ${res.status} ${res.text}`);
  return res.body as { device_key: string; token_code: string };
}

export async function adminDevice(
  srv: TestServer,
  key: string,
): Promise<Record<string, unknown> | undefined> {
  const res = await srv.api('GET', `/api/admin/devices/${encodeURIComponent(key)}`, undefined, {
    'X-API-Key': srv.apiKey,
  });
  if (res.status === 404) return undefined;
  return res.body.data as Record<string, unknown>;
}

export const FAST_TIMINGS = { intervalMs: 150, backoffBaseMs: 20, backoffCapMs: 80 } as const;

export async function makeAgent(
  dataDir: string,
  service: string,
  srv: { url: string } | string,
  extra: Partial<AgentOptions> = {},
): Promise<Agent> {
  return createAgent({
    dataDir,
    keyringService: service,
    serverUrl: typeof srv === 'string' ? srv : srv.url,
    env: {},
    logging: { level: 'debug' },
    timings: { ...FAST_TIMINGS },
    ...extra,
  });
}

/** Polls until fn returns a truthy value (no timing assertion: the test timeout is the only limit). */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 25_000,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every regular file under dir, recursively. */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out;
}

export function filesContaining(dir: string, needle: string): string[] {
  return allFiles(dir).filter((f) => readFileSync(f).includes(needle));
}
