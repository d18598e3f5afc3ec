/**
 * The running agent's heartbeat status, shared with other processes through <dataDir>/heartbeat_status.json
 * (no secrets), so `npm run agent -- status` shows what the `run` process (or the desktop app) is doing.
 * Written when the state changes and at most every 5 s otherwise; readers trust it only while the writer's pid is
 * alive, else they show it as 'stopped' with the last known times.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeartbeatState } from './heartbeat.js';
import { writeAtomic } from './state.js';

interface StatusFile extends HeartbeatState {
  pid: number;
  updated_at: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class HeartbeatStatusFile {
  private lastWrite = 0;
  private lastState: string | null = null;

  constructor(private readonly dataDir: string) {}

  get path(): string {
    return join(this.dataDir, 'heartbeat_status.json');
  }

  write(state: HeartbeatState, force = false): void {
    const now = Date.now();
    if (!force && state.heartbeat === this.lastState && now - this.lastWrite < 5_000) return;
    this.lastWrite = now;
    this.lastState = state.heartbeat;
    try {
      const body: StatusFile = { ...state, pid: process.pid, updated_at: new Date(now).toISOString() };
      writeAtomic(this.path, `${JSON.stringify(body)}\n`);
    } catch {
      // Status sharing is a convenience: never let it disturb heartbeats.
    }
  }

  /** Another live process's state, or the last known times marked 'stopped'; null when nothing usable. */
  read(): HeartbeatState | null {
    if (!existsSync(this.path)) return null;
    try {
      const f = JSON.parse(readFileSync(this.path, 'utf8')) as StatusFile;
      if (typeof f.pid !== 'number' || typeof f.heartbeat !== 'string') return null;
      const { pid, updated_at: _u, ...state } = f;
      if (pid === process.pid) return null;
      if (alive(pid)) return state;
      return {
        ...state,
        heartbeat: state.heartbeat === 'reregistration_needed' ? state.heartbeat : 'stopped',
        next_attempt_at: null,
      };
    } catch {
      return null;
    }
  }

  clear(): void {
    try {
      writeAtomic(this.path, '{}\n');
    } catch {
      // ignore
    }
  }
}
