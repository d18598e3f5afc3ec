/** The station's UID check is the shared one, so the UI, the NFC endpoint and the store agree on a card. */
import { checkUid, type CodeCheck } from '../../../src-shared/codes.js';

export type UidCheck = { ok: true; uid: string } | { ok: false; reason: string };

export function normaliseUid(input: unknown): UidCheck {
  const r: CodeCheck = checkUid(input);
  return r.ok ? { ok: true, uid: r.value } : r;
}
