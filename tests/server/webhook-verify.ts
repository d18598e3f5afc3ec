// The README's "Alerts and webhooks" verification snippet, verbatim, so the test checks what operators copy.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** True when `header` (X-Outpost-Signature) signs `rawBody` with `secret` and is at most `toleranceSec` old. */
export function verifyOutpostSignature(
  secret: string,
  header: string,
  rawBody: string,
  toleranceSec = 300,
  nowSec = Math.floor(Date.now() / 1000),
): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2)));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSec - t) > toleranceSec) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === 32 && timingSafeEqual(given, Buffer.from(expected, 'hex'));
}
