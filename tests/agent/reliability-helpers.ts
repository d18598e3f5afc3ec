/** Helpers for the reliability tests: a fast-starting bundle of the station child, and server-side truth. */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Bundles tests/agent/station-child.ts once into node_modules/.cache (so bare imports resolve from the repo):
 * plain `node` starts it in ~0.2 s instead of ~1 s under tsx, which matters when it is restarted 20+ times.
 * esbuild comes with tsx (not a direct dependency): without it, returns the node args to run the .ts under tsx.
 */
export async function bundleStationChild(): Promise<string[]> {
  let build: typeof import('esbuild').build;
  try {
    ({ build } = await import('esbuild'));
  } catch {
    return ['--import', 'tsx', join(ROOT, 'tests/agent/station-child.ts')];
  }
  const outDir = join(ROOT, 'node_modules', '.cache', 'outpost-tests');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `station-child-${process.pid}.mjs`);
  await build({
    entryPoints: [join(ROOT, 'tests/agent/station-child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  return [outfile];
}

/** What the server has stored for one device, read straight from its SQLite file (the ground truth). */
export function serverCopies(serverDataDir: string, deviceId: string): { uuids: string[]; distinct: number } {
  const db = new Database(join(serverDataDir, 'server.db'), { readonly: true, fileMustExist: true });
  try {
    const uuids = (
      db.prepare('SELECT op_uuid FROM copies WHERE device_id = ?').all(deviceId) as { op_uuid: string }[]
    ).map((r) => r.op_uuid);
    return { uuids, distinct: new Set(uuids).size };
  } finally {
    db.close();
  }
}

export function stationTruth(stationDataDir: string): {
  copies: string[];
  pending: number;
  failed: number;
  synced: number;
  deviceId: string;
  quotas: { client_id: number; remaining: number }[];
} {
  const db = new Database(join(stationDataDir, 'station.db'), { readonly: true, fileMustExist: true });
  try {
    const copies = (db.prepare('SELECT uuid FROM copies').all() as { uuid: string }[]).map((r) => r.uuid);
    const by = (s: string): number =>
      (db.prepare('SELECT COUNT(*) AS n FROM sync_queue WHERE status = ?').get(s) as { n: number }).n;
    const deviceId = (db.prepare("SELECT value FROM meta WHERE key = 'device_id'").get() as { value: string })
      .value;
    const quotas = db.prepare('SELECT client_id, remaining FROM quotas').all() as {
      client_id: number;
      remaining: number;
    }[];
    return { copies, pending: by('pending'), failed: by('failed'), synced: by('synced'), deviceId, quotas };
  } finally {
    db.close();
  }
}
