/**
 * V8 flags for the long-running, mostly idle processes of Outpost: the headless agent, the embedded server child
 * and (as `js-flags`) the Electron main process. Issue 3 sets ≤ 80 MB for the agent and issue 6 ≤ 150 MB for agent
 * plus embedded server; both processes spend their lives waiting for a heartbeat timer or a rare request.
 *
 * - `--max-semi-space-size=1`: V8 grows the young generation to 16 MB semi-spaces during start-up (module
 *   evaluation, schema and route compilation) and keeps them while the process idles. Capped at 1 MB.
 * - `--optimize-for-size`: V8's own "favour memory over speed" mode (smaller heap growth steps, less eager
 *   optimisation). Measured on the agent bundle: the start-up peak drops from ~87 to ~75 MB (the optimising
 *   compilers' zone memory is what glibc kept), at no measurable CPU cost per heartbeat (~10 ms either way).
 *
 * Plus one glibc setting in the environment (Linux; other platforms ignore it): `MALLOC_MMAP_THRESHOLD_`. Parsing
 * a bundle of ~1.5 MB takes ~11 MB of short-lived compiler memory from malloc's main heap; whether glibc can give
 * it back depends on what lands above it, and measured runs of the same server child idled at either 4 or 15 MB
 * of heap. A fixed threshold of 32 KB (it is dynamic by default and creeps up to 32 MB) serves larger blocks with
 * their own mappings, returned to the OS on free: the heap stays at ~4 MB in every run. The cost is an mmap call
 * per large allocation, which a mostly idle process does not feel (CPU per heartbeat unchanged in the bench).
 *
 * Not for the standalone server CLI (`npm run server`, the heartbeat throughput path): it keeps V8's defaults.
 * Measurements: BENCHMARKS.md, "agent" and "ui".
 */
export const IDLE_PROCESS_V8_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--optimize-for-size'];

/** Environment for the same processes (see above); spread over the parent's environment when spawning. */
export const IDLE_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '32768' };
