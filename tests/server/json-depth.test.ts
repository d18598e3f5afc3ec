import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth } from '../../src-main/server/json-depth.js';

/** Nesting depth of a parsed JSON value (arrays and objects count one level each). */
function depthOf(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depthOf));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(depthOf));
  return 0;
}

describe('exceedsJsonDepth', () => {
  it('agrees with the depth of the parsed value for any JSON, strings full of brackets, quotes and backslashes', () => {
    const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ' ', 'é') });
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        tricky,
        fc.integer(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 3 }),
        fc.dictionary(tricky, tie('v'), { maxKeys: 3 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 6 }), (v, max) => {
        const text = JSON.stringify(v);
        expect(exceedsJsonDepth(text, max)).toBe(depthOf(v) > max);
      }),
      { numRuns: 2000 },
    );
  });

  it('a string ending in escaped backslashes closes where JSON says it does', () => {
    expect(exceedsJsonDepth('["\\\\", [[1]]]', 2)).toBe(true);
    expect(exceedsJsonDepth('["\\"[[[[", 1]', 1)).toBe(false);
    expect(exceedsJsonDepth('"unterminated [[[[', 1)).toBe(false);
  });
});
