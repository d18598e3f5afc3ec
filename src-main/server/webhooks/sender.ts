import http from 'node:http';
import https from 'node:https';
import { checkLiteralHost, guardedLookup } from './target-guard.js';

export interface SendResult {
  ok: boolean;
  /** HTTP status, or null without an answer (timeout, refused, blocked target). */
  status: number | null;
  ms: number;
  error: string | null;
}

/** What is read of a receiver's answer: enough to know it ended, never a large body held in memory. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One POST to a receiver. Whole-attempt timeout (connect, send, answer and its body), so a receiver that accepts
 * and never answers, or trickles its answer, costs at most `timeoutMs`. Redirects are not followed (a 3xx is a
 * failure): following one would let a public URL bounce the request to a private address.
 */
export function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; allowPrivate: boolean },
): Promise<SendResult> {
  const t0 = performance.now();
  const done = (status: number | null, error: string | null): SendResult => ({
    ok: status !== null && status >= 200 && status < 300,
    status,
    ms: Math.round(performance.now() - t0),
    error,
  });
  return new Promise<SendResult>((resolve) => {
    let u: URL;
    try {
      u = new URL(url);
      checkLiteralHost(u.hostname, opts.allowPrivate);
    } catch (err) {
      resolve(done(null, err instanceof Error ? err.message : String(err)));
      return;
    }
    const mod = u.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = mod.request(u, {
      method: 'POST',
      agent: false,
      lookup: guardedLookup(opts.allowPrivate),
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'Outpost-Webhooks/1',
      },
    });
    const timer = setTimeout(() => {
      finish(done(null, `timed out after ${opts.timeoutMs} ms`));
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err) => finish(done(null, err.message)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const error =
        status >= 300 && status < 400 ? 'redirect not followed' : status >= 300 ? `HTTP ${status}` : null;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) {
          finish(done(status, error));
          res.destroy();
        }
      });
      res.on('end', () => finish(done(status, error)));
      res.on('error', (err) => finish(done(status, err.message)));
    });
    req.end(body);
  });
}
