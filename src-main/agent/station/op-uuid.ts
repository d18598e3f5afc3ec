import { randomFillSync } from 'node:crypto';

/**
 * Op identities as UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, then a 12-bit counter (method 1) and 62 random
 * bits. Still globally unique (74 bits of randomness per millisecond and station), but ordered by record time,
 * and that order is what makes the push cheap: the server's exactly-once index (`sync_ops.op_key`) and the
 * station's own `uuid UNIQUE` indexes get each batch's keys appended near the right edge of the B-tree instead
 * of scattered over it. With random v4 keys a 500-op batch dirtied ~400 index pages per commit once the table
 * held 100k ops, and writing those pages was most of the server's per-batch cost.
 * Monotonic within a process: the counter orders ops recorded in the same millisecond, and a clock that steps
 * back keeps using the last timestamp, so a later op never sorts before an earlier one here.
 */
const pool = Buffer.allocUnsafe(8 * 256);
let poolPos = pool.length;
let lastMs = -1;
let counter = 0;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function opUuid(): string {
  let ms = Date.now();
  if (ms > lastMs) {
    lastMs = ms;
    // A random start (top bit clear) leaves room to count up within the millisecond.
    counter = nextRandomByte() & 0x7ff;
  } else {
    ms = lastMs;
    if (++counter > 0xfff) {
      // 4096 ops in one ms (never at NFC speed): borrow the next millisecond, still ordered and unique.
      ms = ++lastMs;
      counter = 0;
    }
  }
  if (poolPos + 8 > pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  const r = poolPos;
  poolPos += 8;
  const hi = Math.floor(ms / 0x1000000); // top 24 bits of the 48-bit timestamp
  const lo = ms % 0x1000000;
  return (
    HEX[(hi >>> 16) & 0xff]! +
    HEX[(hi >>> 8) & 0xff]! +
    HEX[hi & 0xff]! +
    HEX[(lo >>> 16) & 0xff]! +
    '-' +
    HEX[(lo >>> 8) & 0xff]! +
    HEX[lo & 0xff]! +
    '-' +
    HEX[0x70 | (counter >>> 8)]! +
    HEX[counter & 0xff]! +
    '-' +
    HEX[0x80 | (pool[r]! & 0x3f)]! +
    HEX[pool[r + 1]!]! +
    '-' +
    HEX[pool[r + 2]!]! +
    HEX[pool[r + 3]!]! +
    HEX[pool[r + 4]!]! +
    HEX[pool[r + 5]!]! +
    HEX[pool[r + 6]!]! +
    HEX[pool[r + 7]!]!
  );
}

function nextRandomByte(): number {
  if (poolPos >= pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  return pool[poolPos++]!;
}
