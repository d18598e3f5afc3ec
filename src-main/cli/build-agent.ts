/**
 * `npm run build:agent`: the headless agent as it ships for stations and servers without a display —
 * dist/agent/agent.js (the CLI, web UI bridge included) and dist/agent/server-child.js (the embedded server the
 * `--ui` agent forks), each one minified ESM file with its dependencies bundled, plus dist/agent/outpost-agent,
 * a launcher that runs node with the idle-process V8 flags.
 *
 * Why a bundle: one file instead of ~600 modules saves ~5 MB of RSS per process (module records and the source
 * V8 keeps for lazy compilation), which is what keeps the agent under its 80 MB budget. Kept external, and so
 * needed in node_modules next to dist/: the native modules (better-sqlite3, @napi-rs/keyring), systeminformation
 * (loaded by path on first use), optional native helpers of ws and pg, and electron.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { IDLE_PROCESS_ENV, IDLE_PROCESS_V8_FLAGS } from '../agent/v8-flags.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export const AGENT_BUNDLE_EXTERNAL = [
  'better-sqlite3',
  '@napi-rs/keyring',
  'systeminformation',
  'bufferutil',
  'utf-8-validate',
  'pg-native',
  'electron',
];

/**
 * Keeps Node's bundled undici (the engine behind the global fetch/Request/FormData) out of the agent: loading it
 * costs ~13 MB of RSS (measured: bare node 39 → 52 MB), a sixth of the agent's 80 MB budget, for code the agent never runs
 * — its HTTP goes through axios's http adapter. Two places in axios touch those globals when they are evaluated:
 *  - lib/adapters/fetch.js probes `Request`/`Response` to build its fetch adapter. In Node axios always picks the
 *    http adapter (the agent never asks for `adapter: 'fetch'`), so the module is replaced by "fetch not
 *    available", which is what axios itself reports where fetch does not exist.
 *  - lib/utils.js reads `globalThis.FormData` once for `isFormData`'s instanceof shortcut. Without it
 *    `isFormData` still recognises a native FormData by its `[object FormData]` tag (the check that follows).
 * A patch whose text is not found fails the build (an axios upgrade changed it): re-measure, then adapt it.
 */
const axiosWithoutUndici: Plugin = {
  name: 'axios-without-undici',
  setup(b) {
    b.onResolve({ filter: /^\.\/fetch\.js$/ }, (args) =>
      /[\\/]axios[\\/]lib[\\/]adapters[\\/]adapters\.js$/.test(args.importer)
        ? { path: 'axios-fetch-adapter', namespace: 'outpost-stub' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'outpost-stub' }, () => ({
      contents: 'export const getFetch = () => false; export default false;',
      loader: 'js',
    }));
    b.onLoad({ filter: /[\\/]axios[\\/]lib[\\/]utils\.js$/ }, (args) => {
      const from = "const FormDataCtor = typeof G.FormData !== 'undefined' ? G.FormData : undefined;";
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(from))
        throw new Error(`axios-without-undici: ${args.path} changed; adapt the patch`);
      return { contents: source.replace(from, 'const FormDataCtor = undefined;'), loader: 'js' };
    });
  },
};

/** Builds the agent bundle into `outDir` (default dist/agent) and returns the path of the CLI entry. */
export async function buildAgentBundle(outDir = join(root, 'dist/agent')): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: {
      agent: join(root, 'src-main/cli/agent.ts'),
      'server-child': join(root, 'src-main/cli/web-ui/server-child.ts'),
    },
    outdir: outDir,
    outExtension: { '.js': '.js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    // Stack traces stay readable with `node --enable-source-maps`; the map costs nothing unless enabled.
    sourcemap: 'linked',
    legalComments: 'none',
    external: AGENT_BUNDLE_EXTERNAL,
    plugins: [axiosWithoutUndici],
    // CommonJS dependencies call require() for node built-ins; an ESM bundle has none of its own.
    banner: {
      js: "import { createRequire as __outpostCreateRequire } from 'node:module'; const require = __outpostCreateRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  // ESM needs "type": "module" to apply to .js files wherever dist/agent is copied.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  const launcher = join(outDir, 'outpost-agent');
  writeFileSync(
    launcher,
    [
      '#!/bin/sh',
      '# The headless Outpost agent with the V8 flags and malloc setting it is measured with (BENCHMARKS.md, "agent").',
      ...Object.entries(IDLE_PROCESS_ENV).map(([k, v]) => `export ${k}=\${${k}:-${v}}`),
      `exec node ${IDLE_PROCESS_V8_FLAGS.join(' ')} "$(dirname "$0")/agent.js" "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(launcher, 0o755);
  return join(outDir, 'agent.js');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildAgentBundle().then(
    (file) => console.log(`agent bundled: ${file}`),
    (err: unknown) => {
      console.error(`agent bundle failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
