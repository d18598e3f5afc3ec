import { createHmac } from 'node:crypto';

/**
 * `X-Outpost-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The timestamp is
 * signed with the body so a receiver can refuse replays older than its tolerance (the README's snippet uses 5
 * minutes).
 */
export function signatureHeader(secret: string, unixSeconds: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}
