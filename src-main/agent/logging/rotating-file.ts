/**
 * A small size-rotated file destination for pino: app.log, app.log.1 … app.log.<keep-1>. Writes are synchronous
 * (the agent logs a few lines a minute, and a sync write cannot lose the line before a crash). A write error
 * (disk full, file removed) never throws into the caller: logging must not take the agent down.
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RotatingFileOptions {
  path: string;
  maxBytes?: number; // default 5 MB
  keep?: number; // total files including the live one, default 5
}

export class RotatingFile {
  private fd: number | null = null;
  private size = 0;
  readonly path: string;
  private readonly maxBytes: number;
  private readonly keep: number;

  constructor(opts: RotatingFileOptions) {
    this.path = opts.path;
    this.maxBytes = opts.maxBytes ?? 5 * 1024 * 1024;
    this.keep = Math.max(1, opts.keep ?? 5);
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    this.open();
  }

  write(chunk: string): boolean {
    try {
      const bytes = Buffer.byteLength(chunk);
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      if (this.fd === null) this.open();
      if (this.fd === null) return true;
      writeSync(this.fd, chunk);
      this.size += bytes;
    } catch {
      // Swallow: see the module comment. The next write reopens the file.
      this.closeQuietly();
    }
    return true;
  }

  close(): void {
    this.closeQuietly();
  }

  private open(): void {
    this.fd = openSync(this.path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.closeQuietly();
    const last = `${this.path}.${this.keep - 1}`;
    rmSync(last, { force: true });
    for (let i = this.keep - 2; i >= 1; i--) {
      try {
        renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      } catch {
        // missing generation: nothing to shift
      }
    }
    if (this.keep > 1) renameSync(this.path, `${this.path}.1`);
    else rmSync(this.path, { force: true });
    this.open();
  }

  private closeQuietly(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = null;
  }
}
