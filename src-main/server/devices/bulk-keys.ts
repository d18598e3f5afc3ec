import { BULK_CSV_COLUMNS, type BulkEnrolledDevice } from '../../../src-shared/api/inventory.js';
import { csvLine } from '../csv.js';

/** The prefix of generated keys when the operator gives none (seed 004's keys read `device-…`). */
export const DEFAULT_BULK_PREFIX = 'device-';

/** Digits of a generated key at least: five hold a full batch (10,000) and keep keys sorting by number. */
const MIN_DIGITS = 5;

/**
 * `<prefix><n>` for n = after+1 … after+count, zero-padded to one width so the keys of a batch sort in order.
 * Starting above the highest number in use means no generated key can equal an existing one.
 */
export function generatedKeys(prefix: string, after: number, count: number): string[] {
  const width = Math.max(MIN_DIGITS, String(after + count).length);
  const keys: string[] = [];
  for (let n = after + 1; n <= after + count; n++) keys.push(prefix + String(n).padStart(width, '0'));
  return keys;
}

/** Keys that appear more than once in the request, once each, in first-seen order. */
export function repeatedKeys(keys: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) repeated.add(k);
    else seen.add(k);
  }
  return [...repeated];
}

/** The batch as CSV, through the one encoder (a key may start with `-`, which a spreadsheet reads as a formula). */
export function bulkCsv(devices: readonly BulkEnrolledDevice[]): string {
  let out = csvLine(BULK_CSV_COLUMNS);
  for (const d of devices) out += csvLine([d.device_key, d.token_code, d.token_expires_at]);
  return out;
}
