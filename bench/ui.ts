/**
 * `npm run bench -- ui [--runs N]`: the UI's load and memory figures (BENCHMARKS.md, ui).
 * - renderer JS gzipped (target ≤ 200 kB): a fresh `vite build`, every .js asset gzipped (level 9) and summed;
 * - web UI first contentful paint (target < 1 s): the real headless agent's `--ui`, a fresh Chromium page per run,
 *   `performance.getEntriesByName('first-contentful-paint')`; median of N runs (first run reported apart: cold);
 * - idle RSS of the headless agent + its embedded server together (target ≤ 150 MB): the server switched on
 *   through the bridge (`server.configure` local), then 10 s idle, RSS of the agent process tree from /proc.
 *   Measured twice: as shipped (the `npm run build:agent` bundle under node with the idle-process V8 flags; the
 *   headline figure) and under tsx (what `npm run agent -- --ui` runs from a checkout; the loader adds memory).
 * Human lines first, one JSON object last.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { IDLE_PROCESS_ENV, IDLE_PROCESS_V8_FLAGS } from '../src-main/agent/v8-flags.js';
import { buildAgentBundle } from '../src-main/cli/build-agent.js';
import { startAgentUi, type AgentUi } from '../tests/e2e/lib/agent-ui.js';
import { browserSkipReason, launchBrowser } from '../tests/e2e/lib/browser.js';
import { freePort } from '../tests/e2e/lib/free-port.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Math.max(1, Number(process.argv[runsArg + 1]) || 5) : 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** RSS in kB of pid and all its descendants (Linux /proc). */
function treeRssKb(pid: number): { total: number; procs: { pid: number; cmd: string; rssKb: number }[] } {
  const procs: { pid: number; cmd: string; rssKb: number }[] = [];
  const visit = (p: number) => {
    let status: string;
    try {
      status = readFileSync(`/proc/${p}/status`, 'utf8');
    } catch {
      return;
    }
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').slice(0, 4).join(' ');
    procs.push({ pid: p, cmd, rssKb: rss });
    for (const task of readdirSync(`/proc/${p}/task`)) {
      let children = '';
      try {
        children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(/\s+/).filter(Boolean)) visit(Number(c));
    }
  };
  visit(pid);
  return { total: procs.reduce((a, x) => a + x.rssKb, 0), procs };
}

// 1. bundle size
await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
const assets = walk(join(root, 'dist/renderer')).filter((f) => f.endsWith('.js'));
const jsRaw = assets.reduce((a, f) => a + statSync(f).size, 0);
const jsGzip = assets.reduce((a, f) => a + gzipSync(readFileSync(f), { level: 9 }).length, 0);
const cssGzip = walk(join(root, 'dist/renderer'))
  .filter((f) => f.endsWith('.css'))
  .reduce((a, f) => a + gzipSync(readFileSync(f), { level: 9 }).length, 0);
console.log(
  `renderer JS: ${(jsRaw / 1024).toFixed(1)} kB raw, ${(jsGzip / 1024).toFixed(1)} kB gzipped (${assets.length} file(s)); CSS ${(cssGzip / 1024).toFixed(1)} kB gzipped`,
);

/** Switches the agent's embedded server on (local, free port) through the bridge, as the Settings page does. */
async function embeddedServerOn(agent: AgentUi): Promise<boolean> {
  const token = new URL(agent.url).searchParams.get('token') ?? '';
  const res = await fetch(`${agent.origin}/bridge/invoke/server.configure`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-outpost-token': token },
    body: JSON.stringify({ mode: 'local', port: await freePort() }),
  });
  const r = (await res.json()) as { ok: boolean; value?: { running: boolean }; error?: { message: string } };
  if (!r.ok || !r.value?.running)
    console.log(`embedded server did not start: ${r.error?.message ?? JSON.stringify(r)}`);
  return r.ok && r.value?.running === true;
}

/** 10 s idle, then the RSS of the agent's process tree. */
async function idleRss(agent: AgentUi, label: string): Promise<number> {
  await new Promise((r) => setTimeout(r, 10_000));
  const rss = treeRssKb(agent.pid);
  for (const p of rss.procs) console.log(`  pid ${p.pid} ${(p.rssKb / 1024).toFixed(1)} MB  ${p.cmd}`);
  console.log(
    `idle RSS agent + embedded server (${label}): ${(rss.total / 1024).toFixed(1)} MB (${rss.procs.length} processes)`,
  );
  return Number((rss.total / 1024).toFixed(1));
}

const result: Record<string, unknown> = {
  bench: 'ui',
  js_gzip_kb: Number((jsGzip / 1024).toFixed(1)),
  js_raw_kb: Number((jsRaw / 1024).toFixed(1)),
  css_gzip_kb: Number((cssGzip / 1024).toFixed(1)),
  target_js_gzip_kb: 200,
};

// 2. FCP + RSS under tsx. The bench runs outside scripts/test.sh's keyring session: opt-in encrypted file store.
const agent = await startAgentUi({ env: { OUTPOST_LOG_LEVEL: 'info' }, args: ['--secrets-file'] });
try {
  result.embedded_server_running = await embeddedServerOn(agent);
  const skip = (() => {
    try {
      return browserSkipReason();
    } catch (err) {
      return String(err);
    }
  })();
  if (skip) {
    console.log(`FCP skipped: ${skip}`);
  } else {
    const fcps: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const browser = await launchBrowser();
      try {
        await browser.page.goto(agent.url, { waitUntil: 'load' });
        await browser.page.getByRole('heading', { name: 'Outpost', level: 1 }).waitFor();
        const fcp = await browser.page.evaluate(
          () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
        );
        fcps.push(fcp);
      } finally {
        await browser.close();
      }
    }
    const [cold, ...warm] = fcps;
    console.log(
      `web UI FCP: cold ${cold?.toFixed(0)} ms, median of ${warm.length} fresh-profile runs ${median(warm).toFixed(0)} ms`,
    );
    result.fcp_ms_median = Number(median(warm).toFixed(0));
    result.fcp_ms_cold = Number((cold ?? -1).toFixed(0));
    result.fcp_runs = warm.length;
    result.target_fcp_ms = 1000;
  }
  result.idle_rss_mb_tsx = await idleRss(agent, 'tsx');
} finally {
  await agent.stop();
}

// 3. RSS as shipped: the agent bundle of `npm run build:agent` (`agent --ui`) under node with the launcher's V8
// flags and env; the embedded server child it forks is the bundle's server-child.js (fork-server.ts passes the same flags).
const entry = await buildAgentBundle(join(root, 'node_modules/.cache/outpost-bench/ui-dist'));
const compiled = await startAgentUi({
  entry,
  nodeArgs: [...IDLE_PROCESS_V8_FLAGS],
  env: { ...IDLE_PROCESS_ENV, OUTPOST_LOG_LEVEL: 'info' },
  args: ['--secrets-file'],
});
try {
  await embeddedServerOn(compiled);
  result.idle_rss_mb = await idleRss(compiled, 'dist/agent bundle');
  result.target_idle_rss_mb = 150;
} finally {
  await compiled.stop();
}
console.log(JSON.stringify(result));
