import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../ntlm/test-support/bytes';
import {
  applicationTag,
  Asn1Error,
  contextTag,
  decodeBitString,
  decodeEnumerated,
  decodeGeneralString,
  decodeInteger,
  decodeOctetString,
  decodeOid,
  DerReader,
  encodeElement,
  encodeEnumerated,
  encodeExplicit,
  encodeGeneralString,
  encodeInteger,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  readElement,
  readSequence,
  readSingleElement,
  TagClass,
  universal,
  UniversalTag,
} from './der';
import { decodeInitialContextToken, encodeInitialContextToken } from './gss-framing';

describe('DER encodings', () => {
  it.each([
    ['1.3.6.1.5.5.2', '06062b0601050502'], // SPNEGO
    ['1.3.6.1.4.1.311.2.2.10', '060a2b06010401823702020a'], // NTLM
    ['1.2.840.113554.1.2.2', '06092a864886f712010202'], // Kerberos
    ['1.2.840.48018.1.2.2', '06092a864882f712010202'], // MS Kerberos
    ['2.999.3', '0603883703'], // first subidentifier above 127
  ])('OBJECT IDENTIFIER %s', (dotted, encoded) => {
    expect(hex(encodeOid(dotted))).toBe(encoded);
    expect(decodeOid(readSingleElement(fromHex(encoded)))).toBe(dotted);
  });

  it.each([
    [0, '020100'],
    [127, '02017f'],
    [128, '02020080'],
    [256, '02020100'],
    [-1, '0201ff'],
    [-128, '020180'],
    [-129, '0202ff7f'],
    [2 ** 31 - 1, '02047fffffff'],
    [-(2 ** 31), '020480000000'],
  ])('INTEGER %d', (value, encoded) => {
    expect(hex(encodeInteger(value))).toBe(encoded);
    expect(decodeInteger(readSingleElement(fromHex(encoded)))).toBe(value);
  });

  it('writes short, one-octet and two-octet lengths', () => {
    expect(hex(encodeOctetString(new Uint8Array(127))).slice(0, 4)).toBe('047f');
    expect(hex(encodeOctetString(new Uint8Array(200))).slice(0, 6)).toBe('0481c8');
    expect(hex(encodeOctetString(new Uint8Array(300))).slice(0, 8)).toBe('0482012c');
  });

  it('writes and reads high tag numbers', () => {
    const encoded = encodeElement(applicationTag(200), encodeEnumerated(2));
    expect(hex(encoded)).toBe('7f8148030a0102');
    const element = readSingleElement(encoded);
    expect([element.tagClass, element.number, element.constructed]).toEqual([TagClass.application, 200, true]);
    expect(decodeEnumerated(readSingleElement(element.content))).toBe(2);
  });

  it('reads the other universal types', () => {
    expect(decodeBitString(readSingleElement(fromHex('03020520')))).toEqual({ unusedBits: 5, bytes: fromHex('20') });
    expect(decodeGeneralString(readSingleElement(encodeGeneralString('LAB.TEST')))).toBe('LAB.TEST');
    expect(() => encodeGeneralString('é€')).toThrow(RangeError);
  });

  it('walks a SEQUENCE with optional EXPLICIT fields', () => {
    const encoded = encodeSequence(
      encodeExplicit(0, encodeInteger(5)),
      encodeExplicit(2, encodeOctetString(fromHex('abcd'))),
    );
    const reader = readSequence(readSingleElement(encoded), 'Example');
    expect(decodeInteger(reader.optionalExplicit(0)!)).toBe(5);
    expect(reader.optionalExplicit(1)).toBeUndefined();
    expect(hex(decodeOctetString(reader.optionalExplicit(2)!))).toBe('abcd');
    expect(reader.done).toBe(true);
    reader.end();
  });

  it('frames a GSS InitialContextToken', () => {
    const token = encodeInitialContextToken('1.2.840.113554.1.2.2', fromHex('0100 3000'));
    expect(hex(token)).toBe('600f' + '06092a864886f712010202' + '01003000');
    expect(decodeInitialContextToken(token)).toEqual({ mech: '1.2.840.113554.1.2.2', innerToken: fromHex('01003000') });
  });
});

describe('DER decoding refuses malformed input with Asn1Error', () => {
  it.each([
    ['an empty buffer', '', /truncated identifier/],
    ['a missing length', '04', /truncated length/],
    ['a length past the end', '0405abcd', /claims 5 content bytes but 2 remain/],
    ['a huge claimed length', '0484ffffffff00', /claims 4294967295 content bytes/],
    ['the indefinite length', '3080', /indefinite length/],
    ['a five-octet length', '04850000000001', /5-octet length/],
    ['a padded tag number', '1f8001', /padded tag number/],
    ['an OID arc with a leading 0x80', '0603 2b8001', /leading 0x80/],
    ['an OID ending inside an arc', '0602 2b86', /ends inside an arc/],
    ['an empty INTEGER', '0200', /empty INTEGER/],
    ['a seven-byte INTEGER', '020701000000000000', /out of range/],
    ['a BIT STRING with 8 unused bits', '03020800', /malformed BIT STRING/],
  ])('%s', (_, encoded, message) => {
    const bytes = fromHex(encoded.replace(/ /g, ''));
    const decode = () => {
      const element = readSingleElement(bytes);
      if (element.number === UniversalTag.objectIdentifier) decodeOid(element);
      if (element.number === UniversalTag.integer) decodeInteger(element);
      if (element.number === UniversalTag.bitString) decodeBitString(element);
    };
    expect(decode).toThrow(Asn1Error);
    expect(decode).toThrow(message);
  });

  it('names the expected and found tags on a mismatch', () => {
    const reader = new DerReader(fromHex('0400'), 'Thing');
    expect(() => reader.expect(universal(UniversalTag.integer), 'count')).toThrow(
      'Thing: count: expected [UNIVERSAL 2], found [UNIVERSAL 4]',
    );
    expect(() => new DerReader(fromHex('a000'), 'Thing').end()).toThrow(/unexpected \[CONTEXT 0 constructed\]/);
    expect(() => new DerReader(new Uint8Array(0), 'Thing').next()).toThrow(/missing element/);
    expect(contextTag(3)).toEqual({ tagClass: TagClass.context, number: 3, constructed: true });
  });
});

describe('DER properties', () => {
  it('round-trips OIDs and integers', () => {
    const oid = fc
      .tuple(fc.constantFrom(0, 1, 2), fc.nat({ max: 39 }), fc.array(fc.nat({ max: 2 ** 40 }), { maxLength: 8 }))
      .map(([first, second, rest]) => [first, first === 2 ? second + 1000 : second, ...rest].join('.'));
    fc.assert(
      fc.property(oid, (dotted) => {
        expect(decodeOid(readSingleElement(encodeOid(dotted)))).toBe(dotted);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 47), max: 2 ** 47 - 1 }), (value) => {
        expect(decodeInteger(readSingleElement(encodeInteger(value)))).toBe(value);
      }),
    );
  });

  it('throws only Asn1Error on random input, and never claims more bytes than it was given', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat({ max: 64 }), (bytes, offset) => {
        try {
          const element = readElement(bytes, Math.min(offset, bytes.length));
          expect(element.encoded.length).toBeLessThanOrEqual(bytes.length);
          expect(element.content.buffer).toBe(bytes.buffer); // a view: nothing copied or allocated
          for (const decode of [decodeOid, decodeInteger, decodeOctetString, decodeBitString, decodeGeneralString]) {
            try {
              decode(element);
            } catch (error) {
              expect(error).toBeInstanceOf(Asn1Error);
            }
          }
        } catch (error) {
          expect(error).toBeInstanceOf(Asn1Error);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
