import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src-main/server/errors.js';
import type { LicenseListFilter } from '../../src-main/server/store/licenses-repo.js';
import type { Store } from '../../src-main/server/store/store.js';
import { openFleet, STORE_KINDS, type StoreFleet } from './store-helpers.js';

/**
 * License search semantics, identical on both stores: a literal substring of license_key or description,
 * metacharacters (% _ \ ' ") taken literally, ASCII case folded; a 3+ character term with a non-ASCII cased
 * letter also folds Unicode case (SQLite answers those from its trigram index, which does).
 */
const DESCRIPTIONS = [
  'Annual license',
  'Discount 100% off',
  'snake_case customer',
  "O'Brien's studio",
  'say "hello"',
  'back\\slash',
  'Müller GmbH',
  'ÜBER plan',
  'plain ascii',
  null,
];
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const unicodeFold = (t: string) =>
  [...t].length >= 3 && [...t].some((c) => c > '\x7f' && c.toLowerCase() !== c.toUpperCase());
/** The reference answer, computed in JS. */
function matches(term: string, text: string | null): boolean {
  if (text === null) return false;
  if (unicodeFold(term)) return text.toLowerCase().includes(term.toLowerCase());
  return asciiLower(text).includes(asciiLower(term));
}
const TERMS = [
  'annual',
  'ANNUAL LICENSE',
  '%',
  '100%',
  '_',
  'e_c',
  '\\',
  "'",
  "o'brien",
  '"hello"',
  '%%%',
  '___',
  'MÜLLER',
  'müller',
  'ü',
  'Ü',
  'über',
  'PROGRAN3',
  'cccccc-0',
  'zzz-nothing',
  'an',
  'a',
];

describe.each(STORE_KINDS)('license search semantics (%s)', (kind) => {
  let fleet: StoreFleet;
  let store: Store;
  const rows: { id: string; key: string; description: string | null }[] = [];
  const now = new Date().toISOString();
  const base: LicenseListFilter = { limit: 100, offset: 0, sort: 'created_at', order: 'asc', now };

  beforeAll(async () => {
    fleet = await openFleet(kind);
    store = await fleet.open();
    for (let i = 0; i < 30; i++) {
      const id = randomUUID();
      const key = `PROGRAN3-2026-CCCCCC-${String(i).padStart(6, '0')}`;
      const description = DESCRIPTIONS[i % DESCRIPTIONS.length]!;
      await store.licenses.create({
        id,
        license_key: key,
        duration_days: 30,
        max_machines: 1,
        description,
        now,
      });
      rows.push({ id, key, description });
    }
  });
  afterAll(async () => {
    await fleet.dispose();
  });

  for (const term of TERMS) {
    it(`search ${JSON.stringify(term)} finds exactly the reference rows`, async () => {
      const want = rows.filter((r) => matches(term, r.key) || matches(term, r.description)).map((r) => r.id);
      const got = await store.licenses.list({ ...base, search: term });
      expect(got.total).toBe(want.length);
      expect(got.rows.map((r) => r.id)).toEqual(want);
    });
  }

  it('a page past the end, and NULL expires_at sorting first ascending and last descending', async () => {
    const lic = rows[3]!;
    await store.licenses.activate({ license_key: lic.key, email: 'a@example.com', fingerprint: 'f', now });
    const asc = await store.licenses.list({ ...base, sort: 'expires_at', order: 'asc' });
    expect(asc.rows.at(-1)!.id).toBe(lic.id);
    const desc = await store.licenses.list({ ...base, sort: 'expires_at', order: 'desc' });
    expect(desc.rows[0]!.id).toBe(lic.id);
    const past = await store.licenses.list({ ...base, offset: 500 });
    expect(past).toEqual({ rows: [], total: 30 });
  });
});

// STORE_KINDS lacks 'postgres' only where no PostgreSQL answers outside CI (pgMissing throws under CI=true).
describe.skipIf(!STORE_KINDS.includes('postgres'))('NUL on PostgreSQL', () => {
  it('a search term with NUL matches nothing; a text value with NUL is a validation error, not a 500', async () => {
    const fleet = await openFleet('postgres');
    try {
      const store = await fleet.open();
      const now = new Date().toISOString();
      const out = await store.licenses.list({
        limit: 10,
        offset: 0,
        sort: 'created_at',
        order: 'desc',
        now,
        search: 'Disc\u0000ount',
      });
      expect(out).toEqual({ rows: [], total: 0 });
      const err = await store.licenses
        .create({
          id: randomUUID(),
          license_key: 'K-1',
          duration_days: 1,
          max_machines: 1,
          description: 'a\u0000b',
          now,
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('VALIDATION_ERROR');
    } finally {
      await fleet.dispose();
    }
  });
});
