// Generates resources/icon.png (512×512) and resources/tray.png (32×32): a teal rounded square with a white
// ring (the "outpost"). Plain Node + zlib so it runs anywhere: `node resources/make-icons.mjs`.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};

function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x + 0.5, y + 0.5, size);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
      raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const clamp = (v) => Math.max(0, Math.min(1, v));
function outpost(x, y, size) {
  const s = size / 512;
  // Rounded square (radius 96) with 1-px soft edge.
  const m = 16 * s,
    r = 96 * s;
  const qx = Math.max(m + r - x, 0, x - (size - m - r));
  const qy = Math.max(m + r - y, 0, y - (size - m - r));
  const inside = clamp(r - Math.hypot(qx, qy) + 0.5);
  if (inside === 0) return [0, 0, 0, 0];
  // White ring centred, plus a small "mast" dot on top.
  const d = Math.hypot(x - size / 2, y - size / 2 - 20 * s);
  const ring = clamp(40 * s - Math.abs(d - 130 * s) + 0.5);
  const dot = clamp(36 * s - Math.hypot(x - size / 2, y - size / 2 - 20 * s) + 0.5);
  const w = Math.max(ring, dot);
  const bg = [13, 115, 119];
  const px = bg.map((c) => Math.round(c * (1 - w) + 255 * w));
  return [...px, Math.round(255 * inside)];
}

const here = new URL('.', import.meta.url);
writeFileSync(new URL('icon.png', here), png(512, outpost));
writeFileSync(new URL('tray.png', here), png(32, outpost));
process.stdout.write('wrote resources/icon.png and resources/tray.png\n');
