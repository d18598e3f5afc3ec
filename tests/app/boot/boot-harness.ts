/**
 * Runs the real compiled desktop main process (tsc output of src-main/main.ts) under plain Node with 'electron'
 * resolved to electron-stub.mjs, and talks to it over the fork IPC channel: a journal of every Electron call the
 * shell made, and commands that stand in for the renderer and for Electron itself.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

export interface JournalEntry {
  seq: number;
  type: string;
  [key: string]: unknown;
}

/** tsc's emit of the app (no type check: `npm run typecheck` does that) into a throwaway app root. */
export function buildApp(): string {
  const root = mkdtempSync(join(tmpdir(), 'outpost-boot-app-'));
  const tsc = spawnSync(
    process.execPath,
    [
      join(repo, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(repo, 'tsconfig.build.json'),
      '--outDir',
      join(root, 'dist'),
      '--noCheck',
      '--sourceMap',
      'false',
    ],
    { encoding: 'utf8' },
  );
  if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`);
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'outpost', type: 'module' }));
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'), 'dir');
  mkdirSync(join(root, 'dist/renderer/assets'), { recursive: true });
  writeFileSync(join(root, 'dist/renderer/index.html'), '<!doctype html><title>Outpost</title>');
  writeFileSync(join(root, 'dist/renderer/assets/app.js'), 'export {};');
  return root;
}

export class BootedApp {
  readonly journal: JournalEntry[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();
  private readonly replies = new Map<number, (r: { value?: unknown; error?: string }) => void>();
  private nextId = 1;
  private readonly child: ChildProcess;
  stderr = '';

  constructor(appRoot: string, args: string[], env: Record<string, string>) {
    this.child = fork(join(appRoot, 'dist/src-main/main.js'), args, {
      execArgv: ['--import', fileURLToPath(new URL('./register.mjs', import.meta.url))],
      env: { ...process.env, OUTPOST_STUB_APP_PATH: appRoot, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.stdout!.resume();
    this.child.on('message', (m: { kind: string; entry?: JournalEntry; id?: number }) => {
      if (m.kind === 'journal' && m.entry) {
        this.journal.push(m.entry);
        for (const w of [...this.waiters]) w();
      } else if (m.kind === 'reply' && m.id !== undefined) {
        this.replies.get(m.id)?.(m as { value?: unknown; error?: string });
        this.replies.delete(m.id);
      }
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      for (const w of [...this.waiters]) w();
    });
  }

  /** The first journal entry matching, waiting for it if needed (the test timeout bounds the wait). */
  waitFor(match: (e: JournalEntry) => boolean, what: string): Promise<JournalEntry> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.journal.find(match);
        if (hit) {
          this.waiters.delete(check);
          resolve(hit);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          this.waiters.delete(check);
          reject(new Error(`app exited before ${what}; stderr:\n${this.stderr}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  of(type: string): JournalEntry[] {
    return this.journal.filter((e) => e.type === type);
  }

  first(type: string, extra: (e: JournalEntry) => boolean = () => true): JournalEntry {
    const hit = this.journal.find((e) => e.type === type && extra(e));
    if (!hit) throw new Error(`no ${type} in the journal`);
    return hit;
  }

  async command<T>(cmd: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    const reply = new Promise<{ value?: unknown; error?: string }>((resolve) =>
      this.replies.set(id, resolve),
    );
    this.child.send({ ...cmd, id });
    const r = await reply;
    if (r.error) throw new Error(r.error);
    return r.value as T;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
