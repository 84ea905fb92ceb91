import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors';
import {
  Asn1Error,
  encodeExplicit,
  encodeInteger,
  encodeOctetString,
  encodeSequence,
  readSingleElement,
} from '../asn1/der';
import { ascii, captureToken, fromHex, hex, utf16 } from '../ntlm/test-support/bytes';
import {
  CredType,
  decodePasswordCreds,
  decodeTsCredentials,
  decodeTsRequest,
  encodePasswordCredentials,
  encodeTsRequest,
  type TsRequest,
} from './ts-request';

// PROTOCOL.md §5.2: pyspnego's vectors, which are also the recorded tokens of ../shared/captures/tokens.
const TS_REQUEST_HEX =
  '3044a003020106a10b30093007a0050403313233a20b04096175746820696e666fa30e040c707562206b65792061757468' +
  'a40302010aa50e040c636c69656e74206e6f6e6365';
const PASSWORD_CREDENTIALS_HEX =
  '304da003020101a14604443042a018041664006f006d00610069006e0020006e0061006d006500a1120410750073006500' +
  '72006e0061006d006500a2120410700061007300730077006f0072006400';

describe('TSRequest', () => {
  const vector: TsRequest = {
    version: 6,
    negoTokens: [ascii('123')],
    authInfo: ascii('auth info'),
    pubKeyAuth: ascii('pub key auth'),
    errorCode: 10,
    clientNonce: ascii('client nonce'),
  };

  it('encodes the MS-CSSP/pyspnego vector byte for byte', () => {
    expect(hex(encodeTsRequest(vector))).toBe(TS_REQUEST_HEX);
  });

  it('decodes the recorded credssp_ts_request token into the fields PROTOCOL.md states', () => {
    const token = captureToken('credssp_ts_request');
    expect(hex(token)).toBe(TS_REQUEST_HEX);
    expect(decodeTsRequest(token)).toEqual(vector);
  });

  it('encodes only the fields present, in tag order', () => {
    expect(hex(encodeTsRequest({ version: 2, negoTokens: [] }))).toBe('3005a003020102');
    const twoTokens = decodeTsRequest(encodeTsRequest({ version: 6, negoTokens: [ascii('a'), ascii('bc')] }));
    expect(twoTokens.negoTokens.map((token) => Buffer.from(token).toString())).toEqual(['a', 'bc']);
    expect(twoTokens).not.toHaveProperty('pubKeyAuth');
  });

  it('reads an NTSTATUS errorCode whether Windows wrote it signed or unsigned, and writes it signed', () => {
    const positive = encodeSequence(encodeExplicit(0, encodeInteger(6)), encodeExplicit(4, encodeInteger(0xc000006d)));
    expect(hex(positive)).toBe('300ea003020106a407020500c000006d');
    expect(decodeTsRequest(positive).errorCode).toBe(0xc000006d);
    const windowsForm = encodeTsRequest({ version: 6, negoTokens: [], errorCode: 0xc000006d });
    expect(hex(windowsForm)).toBe('300da003020106a4060204c000006d');
    expect(decodeTsRequest(windowsForm).errorCode).toBe(0xc000006d);
    const tooWide = encodeSequence(encodeExplicit(0, encodeInteger(6)), encodeExplicit(4, encodeInteger(2 ** 33)));
    expect(() => decodeTsRequest(tooWide)).toThrow(/not a 32-bit NTSTATUS/);
  });

  it('skips context fields a later version appends, and refuses fields out of order or of another class', () => {
    const base = [encodeExplicit(0, encodeInteger(6)), encodeExplicit(3, encodeOctetString(ascii('k')))];
    const later = encodeSequence(...base, encodeExplicit(9, encodeInteger(1)));
    expect(decodeTsRequest(later)).toEqual({ version: 6, negoTokens: [], pubKeyAuth: ascii('k') });
    const swapped = encodeSequence(
      base[0]!,
      encodeExplicit(3, encodeOctetString(ascii('k'))),
      encodeExplicit(1, encodeSequence()),
    );
    expect(() => decodeTsRequest(swapped)).toThrow(Asn1Error);
    const universal = encodeSequence(...base, encodeInteger(1));
    expect(() => decodeTsRequest(universal)).toThrow(Asn1Error);
  });

  it('refuses a missing version, a NegoData entry without negoToken, and trailing bytes', () => {
    expect(() => decodeTsRequest(encodeSequence(encodeExplicit(3, encodeOctetString(ascii('k')))))).toThrow(
      /missing version/,
    );
    const emptyEntry = encodeSequence(
      encodeExplicit(0, encodeInteger(6)),
      encodeExplicit(1, encodeSequence(encodeSequence())),
    );
    expect(() => decodeTsRequest(emptyEntry)).toThrow(/missing negoToken/);
    const valid = encodeTsRequest({ version: 6, negoTokens: [] });
    expect(() => decodeTsRequest(Uint8Array.from([...valid, 0]))).toThrow(Asn1Error);
  });

  it('round-trips any TSRequest', () => {
    const bytes = fc.uint8Array({ maxLength: 64 });
    fc.assert(
      fc.property(
        fc.record(
          {
            version: fc.integer({ min: 1, max: 1000 }),
            negoTokens: fc.array(bytes, { maxLength: 3 }),
            authInfo: bytes,
            pubKeyAuth: bytes,
            errorCode: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
            clientNonce: bytes,
          },
          { requiredKeys: ['version', 'negoTokens'] },
        ),
        (request) => {
          expect(decodeTsRequest(encodeTsRequest(request))).toEqual(request);
        },
      ),
    );
  });

  it('throws only typed protocol errors on arbitrary and mutated input (fuzz)', () => {
    const valid = fromHex(TS_REQUEST_HEX);
    const mutated = fc
      .tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(valid.length))
      .map(([at, value, cut]) => {
        const copy = Uint8Array.from(valid);
        copy[at] = value;
        return copy.subarray(0, Math.max(cut, at + 1));
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), (input) => {
        try {
          const request = decodeTsRequest(input);
          expect(request.version).toBeGreaterThanOrEqual(1);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('does not allocate by a claimed length: a 4 GiB NegoData claim fails at once', () => {
    const lying = fromHex('3010a003020106a189ffffffff3004a0020400');
    expect(() => decodeTsRequest(lying)).toThrow(Asn1Error);
  });
});

describe('TSCredentials', () => {
  it('encodes the password vector byte for byte and decodes the recorded token', () => {
    const encoded = encodePasswordCredentials({
      domainName: 'domain name',
      userName: 'username',
      password: 'password',
    });
    expect(hex(encoded)).toBe(PASSWORD_CREDENTIALS_HEX);
    const recorded = decodeTsCredentials(captureToken('credssp_ts_credential_password'));
    expect(recorded.credType).toBe(CredType.password);
    expect(decodePasswordCreds(recorded.credentials)).toEqual({
      domainName: 'domain name',
      userName: 'username',
      password: 'password',
    });
  });

  it('keeps UTF-16 text intact, surrogate pairs included', () => {
    const password = { domainName: '', userName: 'jöran@lab.test', password: 'pässwörd-😀' };
    const decoded = decodeTsCredentials(encodePasswordCredentials(password));
    expect(decodePasswordCreds(decoded.credentials)).toEqual(password);
    expect(hex(decoded.credentials)).toContain(hex(utf16('😀')));
  });

  it.each([
    ['credssp_ts_credential_smart_card', CredType.smartCard],
    ['credssp_ts_credential_smart_card_full', CredType.smartCard],
    ['credssp_ts_credential_remote_guard_empty_supplemental', CredType.remoteGuard],
    ['credssp_ts_credential_remote_guard_multiple', CredType.remoteGuard],
    ['credssp_ts_credential_remote_guard_no_supplemental', CredType.remoteGuard],
  ])('reads the credType of %s and its credentials as one DER SEQUENCE', (name, credType) => {
    const credentials = decodeTsCredentials(captureToken(name));
    expect(credentials.credType).toBe(credType);
    expect(readSingleElement(credentials.credentials)).toMatchObject({ tagClass: 0, number: 16, constructed: true });
    expect(() => decodePasswordCreds(credentials.credentials)).toThrow(Asn1Error);
  });

  it('is not confused by the MS-CSSP remote guard example, which is TSRemoteGuardCreds rather than TSCredentials', () => {
    expect(() => decodeTsCredentials(captureToken('credssp_ts_remote_guard_ms_example'))).toThrow(Asn1Error);
  });

  it('refuses odd-length UTF-16 and missing fields', () => {
    const odd = encodeSequence(
      encodeExplicit(0, encodeOctetString(Uint8Array.of(0x41))),
      encodeExplicit(1, encodeOctetString(new Uint8Array(0))),
      encodeExplicit(2, encodeOctetString(new Uint8Array(0))),
    );
    expect(() => decodePasswordCreds(odd)).toThrow(/odd length/);
    expect(() => decodeTsCredentials(encodeSequence(encodeExplicit(0, encodeInteger(1))))).toThrow(
      /missing credentials/,
    );
  });
});
