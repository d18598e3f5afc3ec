/**
 * Runtime settings for the long-running, mostly idle Node processes of Outpost: the headless agent (its launcher,
 * dist/agent/outpost-agent) and the embedded server child (the headless fork and Electron's utilityProcess). The
 * Electron main process keeps Electron's defaults (not measurable here). The budgets are ≤ 80 MB for the agent and ≤ 150 MB for agent plus
 * embedded server (BENCHMARKS.md); both processes spend their lives waiting for a heartbeat timer or a rare request.
 *
 * - `--max-semi-space-size=1`: V8 grows the young generation to 16 MB semi-spaces during start-up (module
 *   evaluation, schema and route compilation) and keeps them while the process idles. Capped at 1 MB.
 * - `MALLOC_MMAP_THRESHOLD_=32768` in the environment (glibc, Linux; other platforms ignore it). Start-up takes
 *   ~11 MB of short-lived compiler memory from malloc's main heap; whether glibc can give it back depends on what
 *   lands above it, and runs of the same process idled with either 4 or 15 MB of heap. glibc's threshold is
 *   dynamic (it creeps up to 32 MB); fixed at 32 KB, larger blocks get their own mappings, returned to the OS on
 *   free, and the heap stays at ~4 MB in every run. The cost is an mmap call per large allocation, which a mostly
 *   idle process does not feel (CPU per heartbeat unchanged in the bench).
 * `--optimize-for-size` was measured too: it helped only until the malloc setting was in (67.9 vs 68.9 MB with
 * both), so the optimising compilers stay at full strength for station sync batches.
 *
 * Not for the standalone server CLI (`npm run server`, the heartbeat throughput path): it keeps V8's defaults.
 * Measurements: BENCHMARKS.md, "agent" and "ui".
 */
export const IDLE_PROCESS_V8_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** Environment for the same processes (see above); spread under the parent's environment when spawning. */
export const IDLE_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '32768' };
