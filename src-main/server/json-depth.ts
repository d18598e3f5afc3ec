import type { FastifyInstance } from 'fastify';
import { AppError } from './errors.js';

/**
 * Deeper than any contract needs (the deepest, a notification's free-form `data`, is a handful of levels).
 * JSON.parse itself copes with any depth, but everything after it that walks the value recursively (zod,
 * JSON.stringify of a payload, the poisoning check) would overflow the stack and answer 500.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * True when the JSON text nests arrays/objects deeper than `max`. One pass over the text, brackets inside
 * strings ignored; cheap next to the parse itself, so it runs before it.
 */
export function exceedsJsonDepth(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Jump over the string with the native indexOf (strings are most of a body's bytes): its end is the
      // next quote preceded by an even number of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return false; // unterminated: the parser refuses it
        let backslashes = 0;
        while (text.charCodeAt(j - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      i = j;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

export function depthError(): AppError {
  return new AppError('VALIDATION_ERROR', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, [
    { field: 'body', message: `nesting deeper than ${MAX_JSON_DEPTH} levels` },
  ]);
}

/**
 * Replaces Fastify's JSON body parser with the same parser (prototype poisoning refused) behind the depth
 * check, so every route gets a clear 400 VALIDATION_ERROR for a too-deep body instead of a stack overflow.
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (exceedsJsonDepth(text)) {
      done(depthError(), undefined);
      return;
    }
    // The default parser answers through `done`, synchronously; nothing to await.
    void parse(request, text, done);
  });
}
