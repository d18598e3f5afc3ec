/** NFC UIDs are 4 (single), 7 (double) or 10 (triple size) bytes: ISO/IEC 14443-3. */
const UID_BYTES = new Set([4, 7, 10]);

export type UidCheck = { ok: true; uid: string } | { ok: false; reason: string };

/**
 * Normalises a UID as readers print it (`04:ab:12:cd`, `04-AB-12-CD`, `04 ab 12 cd`, `0x04AB12CD`) to upper-case
 * hex without separators, and says why when it is not a valid UID.
 */
export function normaliseUid(input: unknown): UidCheck {
  if (typeof input !== 'string') return { ok: false, reason: 'UID must be a string' };
  let s = input.trim();
  if (/^0x/i.test(s)) s = s.slice(2);
  s = s.replace(/[\s:-]/g, '');
  if (s === '') return { ok: false, reason: 'UID is empty' };
  if (!/^[0-9a-fA-F]+$/.test(s)) return { ok: false, reason: 'UID must be hexadecimal' };
  if (s.length % 2 !== 0) return { ok: false, reason: 'UID has an odd number of hex digits' };
  const bytes = s.length / 2;
  if (!UID_BYTES.has(bytes)) return { ok: false, reason: `UID must be 4, 7 or 10 bytes (got ${bytes})` };
  return { ok: true, uid: s.toUpperCase() };
}
