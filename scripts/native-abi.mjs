// Post-pack check that every native module in a packaged app was built for the Electron it ships with.
// A V8/NAN addon exports `node_register_module_v<ABI>`; Electron 45 expects its own ABI (node_modules/electron/
// abi_version), and a module built against Node's headers (v115 for Node 20) makes the app die at launch opening
// station.db. N-API addons (`napi_register_module_v1`, e.g. @napi-rs/keyring) are ABI-stable and pass.
// Used by scripts/after-pack.cjs (fails `npm run dist`) and by CI: `node scripts/native-abi.mjs <appOutDir>`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** The resources dir electron-builder writes for each platform inside appOutDir. */
export function resourcesDir(appOutDir) {
  if (existsSync(join(appOutDir, 'resources'))) return join(appOutDir, 'resources');
  const app = readdirSync(appOutDir).find((n) => n.endsWith('.app'));
  if (app) return join(appOutDir, app, 'Contents', 'Resources');
  throw new Error(`no resources dir under ${appOutDir}`);
}

function nodeFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return nodeFiles(p);
    return name.endsWith('.node') ? [p] : [];
  });
}

/** The module's ABI from its exported registration symbol, 'napi' for N-API addons, null when neither is found. */
export function moduleAbi(file) {
  const text = readFileSync(file).toString('latin1');
  const v8 = /node_register_module_v(\d+)/.exec(text);
  if (v8) return Number(v8[1]);
  return text.includes('napi_register_module_v1') ? 'napi' : null;
}

export function expectedAbi(projectDir) {
  return Number(readFileSync(join(projectDir, 'node_modules/electron/abi_version'), 'utf8').trim());
}

/** Checks app.asar.unpacked; returns the per-module findings and a one-paragraph error (or null). */
export function checkPackagedAbi({ appOutDir, abi }) {
  const unpacked = join(resourcesDir(appOutDir), 'app.asar.unpacked');
  const modules = nodeFiles(unpacked).map((file) => ({
    file: relative(unpacked, file),
    abi: moduleAbi(file),
  }));
  const bad = modules.filter((m) => m.abi !== 'napi' && m.abi !== abi);
  if (bad.length === 0) return { modules, error: null };
  const list = bad
    .map((m) => `  ${m.file}: ${m.abi === null ? 'no registration symbol found' : `built for ABI ${m.abi}`}`)
    .join('\n');
  return {
    modules,
    error:
      `Native module ABI mismatch: this Electron needs ABI ${abi}, but app.asar.unpacked contains\n${list}\n` +
      'The package would die at launch. Rebuild for Electron (npm run dist forces it; it needs internet access for ' +
      "Electron's headers) and package again.",
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const appOutDir = process.argv[2];
  if (!appOutDir) {
    process.stderr.write('usage: node scripts/native-abi.mjs <appOutDir> [projectDir]\n');
    process.exit(2);
  }
  const result = checkPackagedAbi({ appOutDir, abi: expectedAbi(process.argv[3] ?? process.cwd()) });
  for (const m of result.modules) {
    process.stdout.write(`${m.file}: ${m.abi === 'napi' ? 'N-API' : `ABI ${m.abi}`}\n`);
  }
  if (result.error) {
    process.stderr.write(`${result.error}\n`);
    process.exit(1);
  }
  process.stdout.write('native modules match the packaged Electron\n');
}
