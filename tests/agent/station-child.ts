/**
 * Child process for reliability test 1 (kill -9). Records copies one by one until the station has `--target`
 * copies in station.db, syncing every `--sync-every` copies, and prints `ACK <uuid>` for each copy only after
 * recordCopy returned (= committed with synchronous=FULL). When everything is recorded and synced it prints DONE.
 * The parent kills it at random moments and starts it again on the same data dir.
 *
 * argv: <dataDir> <serverUrl> <clientId> <target> <syncEvery>; env STATION_USER / STATION_PASSWORD.
 */
import { writeSync } from 'node:fs';
import { createMemorySecretStore } from '../../src-main/agent/secrets/secret-store.js';
import { openStationDb } from '../../src-main/agent/station/station-db.js';
import { StationService } from '../../src-main/agent/station/station-service.js';

const [dataDir, url, clientArg, targetArg, everyArg] = process.argv.slice(2);
const clientId = Number(clientArg);
const target = Number(targetArg);
const every = Number(everyArg ?? 25);
// Synchronous writes: a line is in the pipe before the next copy starts, so the parent's view is exact.
const say = (line: string): void => {
  writeSync(1, `${line}\n`);
};

const svc = new StationService({
  dataDir: dataDir!,
  secrets: createMemorySecretStore(),
  serverUrl: () => url!,
  realtime: false,
  timeoutMs: 5_000,
});
const db = openStationDb(dataDir!); // read-only use: how many copies are committed so far
const count = db.prepare('SELECT COUNT(*) AS n FROM copies');
const committed = (): number => (count.get() as { n: number }).n;

await svc.login(process.env.STATION_USER!, process.env.STATION_PASSWORD!);
say('READY');
let sinceSync = 0;
while (committed() < target) {
  if (svc.quotas().length === 0 || sinceSync >= every) {
    await svc.syncNow().catch((err: unknown) => say(`SYNC-ERROR ${(err as Error).message}`));
    sinceSync = 0;
    continue;
  }
  const uid = (0x04000000 + committed()).toString(16).toUpperCase().padStart(8, '0');
  const copy = svc.recordCopy(clientId, uid);
  say(`ACK ${copy.uuid}`);
  sinceSync++;
  // Let timers and sockets breathe, so kills land in syncs as well as in records.
  await new Promise((r) => setTimeout(r, 1));
}
for (let i = 0; i < 50 && svc.queue().counts.pending > 0; i++) {
  await svc.syncNow().catch((err: unknown) => say(`SYNC-ERROR ${(err as Error).message}`));
}
say(`DONE ${svc.queue().counts.pending}`);
db.close();
await svc.stop();
