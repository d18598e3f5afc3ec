import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkDeviceKey,
  checkTokenCode,
  checkUid,
  normaliseDeviceKey,
  normaliseTokenCode,
} from '../../src-shared/codes.js';
import { normalizeToken as agentToken } from '../../src-main/agent/device/token.js';
import { tokenHash } from '../../src-main/server/devices/tokens.js';
import { normalizeToken as uiToken } from '../../src-renderer/pages/registration.js';

describe('the shared normaliser for tokens, device keys and UIDs', () => {
  it('turns a pasted "AB-CD-EF" into ABCDEF in the UI field, the agent and the server hash alike', () => {
    for (const pasted of ['AB-CD-EF', 'ab-cd-ef', ' ab cd ef ', 'AbCdEf', 'ab\u00a0cd-ef']) {
      expect(normaliseTokenCode(pasted)).toBe('ABCDEF');
      expect(uiToken(pasted)).toBe('ABCDEF');
      expect(agentToken(pasted)).toBe('ABCDEF');
      expect(tokenHash('dev-1', pasted)).toBe(tokenHash('dev-1', 'ABCDEF'));
    }
  });

  it('says why a token is not one', () => {
    expect(checkTokenCode('')).toEqual({ ok: false, reason: 'it is empty' });
    expect(checkTokenCode('ABC12')).toEqual({ ok: false, reason: 'it has 5 characters' });
    expect(checkTokenCode('ABCDEG')).toEqual({
      ok: false,
      reason: 'it contains characters other than 0-9 and A-F',
    });
  });

  it('is idempotent and agrees with the check for any 6-hex token with separators (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...'0123456789abcdefABCDEF'), { minLength: 6, maxLength: 6 }),
        fc.array(fc.constantFrom('', '-', ' ', '--'), { minLength: 6, maxLength: 6 }),
        (chars, seps) => {
          const raw = chars.map((c, i) => c + seps[i]).join('');
          const once = normaliseTokenCode(raw);
          expect(normaliseTokenCode(once)).toBe(once);
          expect(checkTokenCode(raw)).toEqual({ ok: true, value: chars.join('').toUpperCase() });
        },
      ),
    );
  });

  it("keeps a device key's case and dashes, drops the whitespace a copy adds", () => {
    expect(normaliseDeviceKey(' device-0A1b\n2c3d ')).toBe('device-0A1b2c3d');
    expect(checkDeviceKey('ab')).toMatchObject({ ok: false });
    expect(checkDeviceKey('a/b/c')).toMatchObject({ ok: false });
  });

  it('normalises UIDs the way readers print them', () => {
    expect(checkUid('04:ab:12:cd')).toEqual({ ok: true, value: '04AB12CD' });
    expect(checkUid('0x04ab12cd')).toEqual({ ok: true, value: '04AB12CD' });
    expect(checkUid('04AB12CD34')).toEqual({ ok: false, reason: 'UID must be 4, 7 or 10 bytes (got 5)' });
  });
});
