/**
 * `npm run bench -- bulk [--devices 10000] [--rounds 3] [--baseline 1000] [--stores sqlite,postgres]`
 *
 * Bulk enrollment: the time of one `POST /api/admin/devices/bulk` creating `--devices` devices (generated keys,
 * a fresh prefix per round, JSON answer with every token), measured side by side with the baseline: the same
 * server creating `--baseline` devices one request at a time (`POST /api/admin/devices`, 8 in flight), scaled to
 * per device. Reported per store: median bulk time, ms per device both ways, and their ratio. One server process
 * per store (the real CLI entry), with an empty store; the figures include HTTP and JSON of the 10,000 tokens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { api, startInstance } from './lib-fleet.js';
import { createBenchDb, loadAverage, type BenchDb } from './lib-pg.js';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    devices: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    baseline: { type: 'string', default: '1000' },
    stores: { type: 'string', default: 'sqlite,postgres' },
  },
  strict: true,
});
const DEVICES = Number(values.devices);
const ROUNDS = Math.max(1, Number(values.rounds));
const BASELINE = Number(values.baseline);
const IN_FLIGHT = 8;
const stores = values.stores.split(',').filter((s) => s === 'sqlite' || s === 'postgres');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function one(store: string, tmp: string) {
  let db: BenchDb | undefined;
  if (store === 'postgres') db = await createBenchDb('bulk');
  const server = await startInstance(store, { dataDir: join(tmp, store), databaseUrl: db?.url });
  try {
    // Warm-up: compile the route, fill the pool.
    await api(server.url, 'POST', '/api/admin/devices/bulk', { count: 100, prefix: 'warm-' });
    const bulkMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      const res = await api<{ data: { devices: unknown[] } }>(server.url, 'POST', '/api/admin/devices/bulk', {
        count: DEVICES,
        prefix: `r${r}-`,
      });
      bulkMs.push(performance.now() - t0);
      if (res.data.devices.length !== DEVICES) throw new Error('short batch');
    }
    let next = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < BASELINE) {
          const n = next++;
          await api(server.url, 'POST', '/api/admin/devices', { device_key: `single-${n}` });
        }
      }),
    );
    const singleMsPerDevice = (performance.now() - t1) / BASELINE;
    const bulkMedian = median(bulkMs);
    const bulkMsPerDevice = bulkMedian / DEVICES;
    const out = {
      store,
      devices: DEVICES,
      bulk_ms: bulkMs.map((x) => Math.round(x)),
      bulk_median_ms: Math.round(bulkMedian),
      bulk_ms_per_device: Number(bulkMsPerDevice.toFixed(4)),
      single_ms_per_device: Number(singleMsPerDevice.toFixed(3)),
      speedup: Number((singleMsPerDevice / bulkMsPerDevice).toFixed(1)),
      load: loadAverage(),
    };
    console.log(
      `${store}: ${DEVICES} devices in one bulk request: median ${out.bulk_median_ms} ms (${out.bulk_ms.join(', ')}); ` +
        `one by one ${out.single_ms_per_device} ms/device → ${out.speedup}× (load ${out.load})`,
    );
    return out;
  } finally {
    await server.stop();
    await db?.drop();
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'outpost-bench-bulk-'));
const results = [];
try {
  for (const s of stores) results.push(await one(s, tmp));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(JSON.stringify({ bench: 'bulk', results }));
