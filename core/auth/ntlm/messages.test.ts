import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../errors';
import { AvId, decodeAvPairs, encodeAvPairs, findAvPair } from './av-pairs';
import { NtlmMessageError } from './errors';
import { CLIENT_NEGOTIATE_FLAGS } from './flags';
import {
  CLIENT_VERSION,
  decodeAuthenticate,
  decodeChallenge,
  decodeNegotiate,
  encodeAuthenticate,
  encodeNegotiate,
} from './messages';
import { captureToken, fromHex, hex, MS_NLMP } from './test-support/bytes';

const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString('utf16le');

/** The AV pairs inside an NTLMv2 response: after NTProofStr (16) and the blob's 28-byte header. */
const responseAvPairs = (ntChallengeResponse: Uint8Array) => decodeAvPairs(ntChallengeResponse.subarray(16 + 28));

// MS-NLMP 4.2.4.2.2 and 4.2.4.3 (as encoded in pyspnego's tests/_ntlm_raw/test_messages.py).
const MS_CHALLENGE = fromHex(
  '4e544c4d53535000 02000000 0c000c0038000000 33828ae2 0123456789abcdef 0000000000000000 2400240044000000' +
    '060070170000000f 530065007200760065007200' +
    '02000c0044006f006d00610069006e00 01000c005300650072007600650072 00 00000000',
);
const MS_AUTHENTICATE = fromHex(
  '4e544c4d53535000 03000000 180018006c000000 5400540084000000 0c000c0048000000 0800080054000000' +
    '100010005c000000 10001000d8000000 358288e2 0501280a0000000f' +
    '44006f006d00610069006e00 5500730065007200 43004f004d0050005500540045005200' +
    '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa' +
    '68cd0ab851e51c96aabc927bebef6a1c 0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000' +
    '02000c0044006f006d00610069006e00 01000c005300650072007600650072 00 00000000 00000000' +
    'c5dad2544fc9799094ce1ce90bc9d03e',
);

describe('NTLM messages from MS-NLMP 4.2.4', () => {
  it('decodes the CHALLENGE', () => {
    const challenge = decodeChallenge(MS_CHALLENGE);
    expect(challenge.flags).toBe(0xe28a8233);
    expect(challenge.targetName).toBe('Server');
    expect(hex(challenge.serverChallenge)).toBe(hex(MS_NLMP.serverChallenge));
    expect(challenge.version).toEqual({ major: 6, minor: 0, build: 6000, revision: 15 });
    expect(challenge.targetInfo.map((pair) => [pair.id, text(pair.value)])).toEqual([
      [AvId.nbDomainName, 'Domain'],
      [AvId.nbComputerName, 'Server'],
    ]);
    expect(hex(encodeAvPairs(challenge.targetInfo))).toBe(hex(MS_NLMP.avPairs));
  });

  it('decodes the AUTHENTICATE', () => {
    const message = decodeAuthenticate(MS_AUTHENTICATE);
    expect(message.flags).toBe(0xe2888235);
    expect([message.domainName, message.userName, message.workstation]).toEqual(['Domain', 'User', 'COMPUTER']);
    expect(hex(message.lmChallengeResponse)).toBe('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
    expect(hex(message.ntChallengeResponse.subarray(0, 16))).toBe('68cd0ab851e51c96aabc927bebef6a1c');
    expect(hex(message.encryptedRandomSessionKey)).toBe('c5dad2544fc9799094ce1ce90bc9d03e');
    expect(message.version).toEqual({ major: 5, minor: 1, build: 2600, revision: 15 });
    expect(message.mic).toBeUndefined(); // its payload starts at 72
  });
});

// Real Windows tokens (pyspnego tests/data) with the fields PROTOCOL.md §4.2 and §8.4 state.
describe('captured NTLM tokens', () => {
  it('ntlm_negotiate: 40 bytes, Windows flags 0xE20882B7, version 10.0.17763', () => {
    const bytes = captureToken('ntlm_negotiate');
    expect(bytes.length).toBe(40);
    const negotiate = decodeNegotiate(bytes);
    expect(negotiate.flags >>> 0).toBe(0xe20882b7);
    expect(negotiate).toMatchObject({ domainName: '', workstation: '' });
    expect(negotiate.version).toEqual({ major: 10, minor: 0, build: 17763, revision: 15 });
  });

  it('ntlm_challenge: 206 bytes, DOMAIN/DC01 with a timestamp', () => {
    const bytes = captureToken('ntlm_challenge');
    expect(bytes.length).toBe(206);
    const challenge = decodeChallenge(bytes);
    expect(challenge.flags).toBe(0xe2898235);
    expect(challenge.targetName).toBe('DOMAIN');
    expect(hex(challenge.serverChallenge)).toBe('e41010 14cf8a90be'.replace(' ', ''));
    expect(challenge.version).toEqual({ major: 10, minor: 0, build: 14393, revision: 15 });
    expect(challenge.targetInfo.map((pair) => pair.id)).toEqual([
      AvId.nbDomainName,
      AvId.nbComputerName,
      AvId.dnsDomainName,
      AvId.dnsComputerName,
      AvId.dnsTreeName,
      AvId.timestamp,
    ]);
    expect(text(findAvPair(challenge.targetInfo, AvId.nbComputerName))).toBe('DC01');
    expect(text(findAvPair(challenge.targetInfo, AvId.dnsComputerName))).toBe('DC01.domain.local');
    expect(hex(findAvPair(challenge.targetInfo, AvId.timestamp)!)).toBe('f8819288991ed601');
  });

  it('ntlm_authenticate: 420 bytes, UPN user, timestamp and zero channel bindings (and no MIC)', () => {
    const bytes = captureToken('ntlm_authenticate');
    expect(bytes.length).toBe(420);
    const message = decodeAuthenticate(bytes);
    expect(message.flags).toBe(0xe2898235);
    expect([message.domainName, message.userName, message.workstation]).toEqual([
      '',
      'vagrant-domain@DOMAIN.LOCAL',
      'JBOREAN-LINUX',
    ]);
    expect(message.lmChallengeResponse.length).toBe(0);
    expect(message.encryptedRandomSessionKey.length).toBe(16);
    expect(message.version).toEqual({ major: 6, minor: 2, build: 0, revision: 15 });
    // PROTOCOL.md §8.4 calls this token "with MIC"; its bytes say otherwise: the payload starts at 72
    // and MsvAvFlags is 0.
    expect(message.mic).toBeUndefined();
    const pairs = responseAvPairs(message.ntChallengeResponse);
    expect(hex(findAvPair(pairs, AvId.flags)!)).toBe('00000000');
    expect(hex(findAvPair(pairs, AvId.timestamp)!)).toBe('f8819288991ed601');
    expect(hex(findAvPair(pairs, AvId.channelBindings)!)).toBe('00'.repeat(16));
    expect(text(findAvPair(pairs, AvId.targetName))).toBe('dc01.domain.local');
  });

  it('ntlm_authenticate_no_sign_seal: a MIC, Z(24) LM response, MsvAvFlags MIC bit, SPN target name', () => {
    const bytes = captureToken('ntlm_authenticate_no_sign_seal');
    expect(bytes.length).toBe(440);
    const message = decodeAuthenticate(bytes);
    expect(message.flags).toBe(0xe28a8205); // neither SIGN nor SEAL
    expect([message.domainName, message.userName, message.workstation]).toEqual(['', 'vagrant', 'JBOREAN-LINUX']);
    expect(hex(message.lmChallengeResponse)).toBe('00'.repeat(24));
    expect(hex(message.mic!)).toBe('fe935dc88b782a1c01ae3965cf77627d');
    const pairs = responseAvPairs(message.ntChallengeResponse);
    expect(hex(findAvPair(pairs, AvId.flags)!)).toBe('02000000');
    expect(text(findAvPair(pairs, AvId.targetName))).toBe('HOST/192.168.121.229');
    expect(text(findAvPair(pairs, AvId.nbComputerName))).toBe('WIN-MJ44NRDC217');
  });
});

describe('NTLM message encoders', () => {
  it('encodes NEGOTIATE with empty fields pointing at the payload and the VERSION', () => {
    const bytes = encodeNegotiate(CLIENT_NEGOTIATE_FLAGS, CLIENT_VERSION);
    expect(hex(bytes)).toBe(
      '4e544c4d53535000' +
        '01000000' +
        '358288e2' +
        '0000000028000000' +
        '0000000028000000' +
        '0a00 7c4f 000000 0f'.replace(/ /g, ''),
    );
    expect(decodeNegotiate(bytes)).toEqual({
      flags: CLIENT_NEGOTIATE_FLAGS,
      domainName: '',
      workstation: '',
      version: CLIENT_VERSION,
    });
  });

  it('round-trips AUTHENTICATE fields, with and without the MIC slot', () => {
    fc.assert(
      fc.property(
        fc.record({
          lm: fc.uint8Array({ maxLength: 24 }),
          nt: fc.uint8Array({ maxLength: 300 }),
          domain: fc.string({ maxLength: 20 }),
          user: fc.string({ maxLength: 20 }),
          workstation: fc.string({ maxLength: 20 }),
          key: fc.uint8Array({ maxLength: 16 }),
          withMic: fc.boolean(),
        }),
        (fields) => {
          // Fields must not all be empty, or no payload offset tells where the fixed part ends.
          const nt = fields.nt.length === 0 ? Uint8Array.of(1) : fields.nt;
          const bytes = encodeAuthenticate({
            flags: CLIENT_NEGOTIATE_FLAGS,
            lmChallengeResponse: fields.lm,
            ntChallengeResponse: nt,
            domainName: fields.domain,
            userName: fields.user,
            workstation: fields.workstation,
            encryptedRandomSessionKey: fields.key,
            version: CLIENT_VERSION,
            withMic: fields.withMic,
          });
          const decoded = decodeAuthenticate(bytes);
          expect(hex(decoded.lmChallengeResponse)).toBe(hex(fields.lm));
          expect(hex(decoded.ntChallengeResponse)).toBe(hex(nt));
          expect([decoded.domainName, decoded.userName, decoded.workstation]).toEqual([
            fields.domain,
            fields.user,
            fields.workstation,
          ]);
          expect(hex(decoded.encryptedRandomSessionKey)).toBe(hex(fields.key));
          expect(decoded.version).toEqual(CLIENT_VERSION);
          expect(decoded.mic === undefined ? undefined : hex(decoded.mic)).toBe(
            fields.withMic ? '00'.repeat(16) : undefined,
          );
        },
      ),
    );
  });
});

describe('NTLM decoders refuse malformed input with typed errors', () => {
  const challenge = captureToken('ntlm_challenge');
  const withUint16 = (bytes: Uint8Array, offset: number, value: number): Uint8Array => {
    const copy = Uint8Array.from(bytes);
    new DataView(copy.buffer).setUint16(offset, value, true);
    return copy;
  };

  it.each([
    ['a short message', challenge.subarray(0, 40), /shorter than its 48-byte header/],
    ['a wrong signature', Uint8Array.from(challenge).fill(0x41, 0, 1), /NTLMSSP/],
    ['the wrong message type', captureToken('ntlm_authenticate'), /expected NTLM CHALLENGE \(type 2\), got type 3/],
    ['a TargetInfo length past the end', withUint16(challenge, 40, 0xffff), /TargetInfo \(65535 bytes at offset 68\)/],
    ['a TargetName inside the header', Uint8Array.from(challenge).fill(0, 16, 20), /TargetName .* lies outside/],
    ['an odd UTF-16 TargetName', withUint16(challenge, 12, 11), /odd UTF-16 length/],
    ['an AV pair longer than the list', withUint16(challenge, 0x46, 0x7fff), /claims 32767 bytes/],
    ['a timestamp of the wrong size', withUint16(challenge, 0xc0, 4), /AV_PAIR 7 has 4 bytes instead of 8/],
    ['a list without MsvAvEOL', withUint16(challenge, 40, 0x8a - 4), /ends without MsvAvEOL/],
  ])('%s', (_, bytes, message) => {
    expect(() => decodeChallenge(bytes)).toThrow(NtlmMessageError);
    expect(() => decodeChallenge(bytes)).toThrow(message);
  });

  const typedOnly = (decode: (bytes: Uint8Array) => unknown) => (bytes: Uint8Array) => {
    try {
      decode(bytes);
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError);
    }
  };
  const decoders = [
    ['CHALLENGE', decodeChallenge, challenge],
    ['NEGOTIATE', decodeNegotiate, captureToken('ntlm_negotiate')],
    ['AUTHENTICATE', decodeAuthenticate, captureToken('ntlm_authenticate_no_sign_seal')],
    ['AV pairs', decodeAvPairs, MS_NLMP.avPairs],
  ] as const;

  it.each(decoders)('%s: random bytes', (_, decode) => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), typedOnly(decode)), { numRuns: 500 });
  });

  it.each(decoders)('%s: mutations of a real message', (_, decode, sample) => {
    const mutation = fc
      .array(fc.tuple(fc.nat({ max: sample.length - 1 }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      })
      .chain((edits) => fc.tuple(fc.constant(edits), fc.nat({ max: sample.length })));
    fc.assert(
      fc.property(mutation, ([edits, cut]) => {
        const bytes = Uint8Array.from(sample);
        for (const [offset, value] of edits) bytes[offset] = value;
        typedOnly(decode)(bytes.subarray(0, cut));
        typedOnly(decode)(bytes);
      }),
      { numRuns: 1000 },
    );
  });
});
