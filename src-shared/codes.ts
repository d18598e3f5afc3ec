/**
 * The one normaliser for what operators type or paste: registration tokens, device keys and NFC UIDs. The UI
 * applies it as they type, the agent before any request, the server before it compares a token, so a pasted
 * `ab-cd-ef` is `ABCDEF` at every step and the three can never disagree about what is valid.
 */

/** Device key rule (seed 004): 3–64 of `[A-Za-z0-9._-]`. */
export const DEVICE_KEY_PATTERN = /^[A-Za-z0-9._-]{3,64}$/;
/** A normalised one-time registration token: 6 upper-case hex characters. */
export const TOKEN_CODE_PATTERN = /^[0-9A-F]{6}$/;

/** Drops the spaces and dashes people type from printed codes, upper-cases: `ab-cd-ef` → `ABCDEF`. */
export function normaliseTokenCode(raw: string): string {
  return String(raw ?? '')
    .replace(/[\s-]+/g, '')
    .toUpperCase();
}

export type CodeCheck = { ok: true; value: string } | { ok: false; reason: string };

/** Normalises a token and says, in words, why it is not one (empty, wrong length, not hex). */
export function checkTokenCode(raw: string): CodeCheck {
  const value = normaliseTokenCode(raw);
  if (TOKEN_CODE_PATTERN.test(value)) return { ok: true, value };
  const reason =
    value.length === 0
      ? 'it is empty'
      : value.length !== 6
        ? `it has ${value.length} characters`
        : 'it contains characters other than 0-9 and A-F';
  return { ok: false, reason };
}

/**
 * Device keys keep their case and dashes (`device-0a1b2c3d`); only the whitespace a copy from a terminal or a
 * wrapped e-mail adds is dropped.
 */
export function normaliseDeviceKey(raw: string): string {
  return String(raw ?? '').replace(/\s+/g, '');
}

export function checkDeviceKey(raw: string): CodeCheck {
  const value = normaliseDeviceKey(raw);
  return DEVICE_KEY_PATTERN.test(value)
    ? { ok: true, value }
    : { ok: false, reason: 'use 3-64 characters of A-Z a-z 0-9 . _ -' };
}

/** NFC UIDs are 4 (single), 7 (double) or 10 (triple size) bytes: ISO/IEC 14443-3. */
const UID_BYTES = new Set([4, 7, 10]);

/** Upper-case hex without separators: `04:ab:12:cd`, `04-AB-12-CD`, `0x04AB12CD` → `04AB12CD`. */
export function normaliseUid(raw: string): string {
  let s = String(raw ?? '').trim();
  if (/^0x/i.test(s)) s = s.slice(2);
  return s.replace(/[\s:-]/g, '').toUpperCase();
}

export function checkUid(raw: unknown): CodeCheck {
  if (typeof raw !== 'string') return { ok: false, reason: 'UID must be a string' };
  const s = normaliseUid(raw);
  if (s === '') return { ok: false, reason: 'UID is empty' };
  if (!/^[0-9A-F]+$/.test(s)) return { ok: false, reason: 'UID must be hexadecimal' };
  if (s.length % 2 !== 0) return { ok: false, reason: 'UID has an odd number of hex digits' };
  const bytes = s.length / 2;
  if (!UID_BYTES.has(bytes)) return { ok: false, reason: `UID must be 4, 7 or 10 bytes (got ${bytes})` };
  return { ok: true, value: s };
}
