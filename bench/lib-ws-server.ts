/**
 * Child process for `bench/ws.ts`: the real server (SQLite in BENCH_DATA_DIR) on an ephemeral loopback port,
 * answering IPC requests for its memory (after a full GC, so the figure is live memory, not garbage).
 */
import { startServer } from '../src-main/server/runner.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gc = (globalThis as { gc?: () => void }).gc;

const srv = await startServer({
  host: '127.0.0.1',
  port: 0,
  dataDir: process.env.BENCH_DATA_DIR!,
  env: process.env,
});
process.send!({ type: 'ready', url: srv.url });

process.on('message', (m: { cmd: string }) => {
  void (async () => {
    if (m.cmd === 'mem') {
      for (let i = 0; i < 3; i++) {
        gc?.();
        await sleep(100);
      }
      const mem = process.memoryUsage();
      process.send!({ type: 'mem', rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, gc: !!gc });
    } else if (m.cmd === 'stop') {
      await srv.stop();
      process.exit(0);
    }
  })();
});
