import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { bundleStationChild, serverCopies, stationTruth } from './reliability-helpers.js';
import { STATION_USER, clientOnServer, createClient, createStationUser } from './station-helpers.js';

const TARGET = 2_000;
const MIN_KILLS = 20;
const QUOTA = 5_000;

let srv: TestServer;
let child: string[];
let dir: string;

beforeAll(async () => {
  [srv, child] = await Promise.all([startTestServer(), bundleStationChild()]);
  dir = mkdtempSync(join(tmpdir(), 'outpost-kill-'));
});
afterAll(async () => {
  await srv?.dispose();
  rmSync(dir, { recursive: true, force: true });
  if (child?.length === 1) rmSync(child[0]!, { force: true });
});

interface Run {
  acks: string[];
  done: boolean;
  killed: boolean;
}

/** One child run: killed with SIGKILL `killAfterMs` after it is ready, or left to finish when undefined. */
function runChild(clientId: number, killAfterMs: number | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...child, dir, srv.url, String(clientId), String(TARGET), '40'], {
      env: { ...process.env, STATION_USER: STATION_USER.username, STATION_PASSWORD: STATION_USER.password },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { acks: [], done: false, killed: false };
    let stderr = '';
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    createInterface({ input: p.stdout }).on('line', (line) => {
      if (line.startsWith('ACK ')) run.acks.push(line.slice(4));
      else if (line.startsWith('DONE')) run.done = true;
      else if (line === 'READY' && killAfterMs !== undefined) {
        setTimeout(() => {
          run.killed = p.kill('SIGKILL');
        }, killAfterMs);
      }
    });
    p.on('error', reject);
    p.on('close', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve(run);
      else reject(new Error(`child exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

describe('reliability 1: kill -9 while recording and syncing', () => {
  it(`≥${MIN_KILLS} SIGKILLs over ${TARGET} copies: server copies = station copies ⊇ acknowledged, no duplicate, quotas agree`, async () => {
    const clientId = await createClient(srv, 'KillCo', QUOTA);
    await createStationUser(srv);
    const acked: string[] = [];
    let kills = 0;
    let done = false;
    for (let i = 0; !done || kills < MIN_KILLS; i++) {
      if (i > 200) throw new Error('too many runs');
      const killAt = kills < MIN_KILLS ? 20 + Math.floor(Math.random() * 180) : undefined;
      const run = await runChild(clientId, killAt);
      acked.push(...run.acks);
      if (run.killed) kills++;
      done = run.done && !run.killed;
    }
    // Station side: everything synced, nothing failed.
    const st = stationTruth(dir);
    expect(st.pending).toBe(0);
    expect(st.failed).toBe(0);
    expect(st.copies.length).toBe(TARGET);
    // Every acknowledged copy is committed; at most one per kill was committed without its ACK reaching us.
    expect(new Set(acked).size).toBe(acked.length);
    const committed = new Set(st.copies);
    expect(acked.filter((u) => !committed.has(u))).toEqual([]);
    const unacked = st.copies.length - acked.length;
    expect(unacked).toBeGreaterThanOrEqual(0);
    expect(unacked).toBeLessThanOrEqual(kills);
    // Server side: exactly the station's copies, each once.
    const server = serverCopies(srv.dataDir, st.deviceId);
    expect(server.distinct).toBe(server.uuids.length);
    expect([...server.uuids].sort()).toEqual([...st.copies].sort());
    const c = await clientOnServer(srv, clientId);
    expect(c).toMatchObject({ used: TARGET, remaining: QUOTA - TARGET });
    expect(st.quotas).toEqual([{ client_id: clientId, remaining: QUOTA - TARGET }]);
    console.log(
      `kill -9 test: ${kills} kills, ${acked.length} acked, ${unacked} committed-but-unacked, ${TARGET} on server`,
    );
  }, 180_000);
});
