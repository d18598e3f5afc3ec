/**
 * `npm run security:electron`: electronegativity over src-main + src-preload (scanned together, so its global
 * checks see main's navigation limits and permission handler), failing on any finding that
 * docs/electronegativity.md does not list with a reason. Works offline (it warns that it cannot check releases).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Finding {
  check: string;
  file: string;
  where: string;
  severity: string;
}

function parseCsv(text: string): Finding[] {
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((line) => {
      const cells =
        line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)?.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '')) ?? [];
      return { check: cells[0] ?? '', severity: cells[1] ?? '', file: cells[3] ?? '', where: cells[4] ?? '' };
    });
}

function documented(): Set<string> {
  const md = readFileSync(join(root, 'docs/electronegativity.md'), 'utf8');
  const keys = new Set<string>();
  for (const line of md.split('\n')) {
    const m = /^\|\s*([A-Z_]+)\s*\|\s*([^|]+?)\s*\|\s*\S/.exec(line);
    if (m) keys.add(`${m[1]} ${m[2]}`);
  }
  return keys;
}

const work = mkdtempSync(join(tmpdir(), 'outpost-electronegativity-'));
try {
  cpSync(join(root, 'src-main/app'), join(work, 'app'), { recursive: true });
  cpSync(join(root, 'src-main/main.ts'), join(work, 'main.ts'));
  cpSync(join(root, 'src-preload'), join(work, 'preload'), { recursive: true });
  cpSync(join(root, 'package.json'), join(work, 'package.json'));
  const csv = join(work, 'findings.csv');
  const bin = join(root, 'node_modules/.bin/electronegativity');
  const run = spawnSync(bin, ['-i', work, '-r', '-v', 'false', '-o', csv], { encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(run.stdout, run.stderr);
    throw new Error(`electronegativity exited with ${run.status}`);
  }
  const findings = parseCsv(readFileSync(csv, 'utf8'));
  const allowed = documented();
  const undocumented = findings.filter((f) => !allowed.has(`${f.check} ${f.file}`));
  for (const f of findings) {
    const mark = undocumented.includes(f) ? 'UNDOCUMENTED' : 'documented';
    console.log(`${mark.padEnd(12)} ${f.check} ${f.severity} ${f.file}:${f.where}`);
  }
  if (undocumented.length) {
    console.error(
      `security:electron: ${undocumented.length} finding(s) without a written reason in docs/electronegativity.md`,
    );
    process.exitCode = 1;
  } else {
    console.log(
      `security:electron: ${findings.length} finding(s), all documented in docs/electronegativity.md`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
