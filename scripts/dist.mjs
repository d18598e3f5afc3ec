// `npm run dist [-- electron-builder flags]`: build the app, package it (electron-builder rebuilds better-sqlite3
// for Electron in node_modules, forced by scripts/before-build.mjs, and scripts/after-pack.mjs refuses a package
// with a wrong ABI), then always put node_modules' better-sqlite3 back to the Node build `npm test` needs.
import { spawnSync } from 'node:child_process';
import process from 'node:process';

const shell = process.platform === 'win32';
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', shell }).status ?? 1;

let status = run('npm', ['run', 'build:electron']);
if (status === 0) {
  status = run('npx', [
    'electron-builder',
    '--config',
    'electron-builder.yml',
    '--publish',
    'never',
    ...process.argv.slice(2),
  ]);
}
const restored = run('npm', ['rebuild', 'better-sqlite3']);
if (restored !== 0) {
  process.stderr.write(
    'could not rebuild better-sqlite3 for Node: run `npm rebuild better-sqlite3` before `npm test`\n',
  );
}
process.exit(status);
