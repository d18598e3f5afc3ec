/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts. Each benchmark prints human lines, then one JSON object
 * as its last line. Benchmarks are never part of `npm test` (these machines are too noisy for timed assertions).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('lib-'))
  .map((f) => f.replace(/\.ts$/, ''));
const name = process.argv[2];
if (!name || !available.includes(name) || !existsSync(join(here, `${name}.ts`))) {
  console.error(`usage: npm run bench -- <${available.join('|')}>`);
  process.exit(2);
}
await import(`./${name}.js`);
