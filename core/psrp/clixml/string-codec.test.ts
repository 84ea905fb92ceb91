import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { anyUtf16String } from '../test-support/arbitraries';
import { decodeClixmlString, encodeClixmlString } from './string-codec';

// psrpcore tests/conftest.py COMPLEX_STRING / COMPLEX_ENCODED_STRING (PROTOCOL.md §2.8).
const COMPLEX_STRING = 'treble clef\n _x0000_ _X0000_ \u{1D11E} café \uD83C _x001G_';
const COMPLEX_ENCODED_STRING =
  'treble clef_x000A_ _x005F_x0000_ _x005F_X0000_ _xD834__xDD1E_ café _xD83C_ _x005F_x001G_';

describe('CLIXML string escaping (MS-PSRP 2.2.5.3.2)', () => {
  it('encodes and decodes the psrpcore complex string', () => {
    expect(encodeClixmlString(COMPLEX_STRING)).toBe(COMPLEX_ENCODED_STRING);
    expect(decodeClixmlString(COMPLEX_ENCODED_STRING)).toBe(COMPLEX_STRING);
  });

  it('escapes controls, DEL/C1, surrogates, U+FFFE/U+FFFF and _x, nothing else', () => {
    expect(encodeClixmlString('a\r\nb\tc')).toBe('a_x000D__x000A_b_x0009_c');
    expect(encodeClixmlString('\u0000\u001f\u007f\u009f\u00a0')).toBe('_x0000__x001F__x007F__x009F_\u00a0');
    expect(encodeClixmlString('\uFFFE\uFFFF\uFFFD')).toBe('_xFFFE__xFFFF_\uFFFD');
    expect(encodeClixmlString('snake_case _ x_ _')).toBe('snake_case _ x_ _');
  });

  it('decodes lower-case hex and the 8-digit form, and leaves invalid sequences alone', () => {
    expect(decodeClixmlString('_x005f_')).toBe('_');
    expect(decodeClixmlString('_X0041_')).toBe('A');
    expect(decodeClixmlString('_x0001D11E_')).toBe('\u{1D11E}');
    expect(decodeClixmlString('_x005G_ _x12_ _x0041 _xFFFFFFFF_')).toBe('_x005G_ _x12_ _x0041 _xFFFFFFFF_');
  });

  it('round-trips any UTF-16 string and leaves no unescaped control or surrogate', () => {
    fc.assert(
      fc.property(anyUtf16String, (value) => {
        const encoded = encodeClixmlString(value);
        const units = Array.from(encoded, (c) => c.charCodeAt(0));
        const raw = units.filter(
          (u) => u < 0x20 || (u >= 0x7f && u < 0xa0) || (u >= 0xd800 && u < 0xe000) || u > 0xfffd,
        );
        expect(raw).toEqual([]);
        expect(decodeClixmlString(encoded)).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });
});
