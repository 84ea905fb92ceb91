import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidStateError, ProtocolError, UsageError } from '../../errors';
import { AuthenticationError } from '../authentication-error';
import { rc4Once } from '../crypto/rc4';
import { AvId, decodeAvPairs, encodeAvPairs, findAvPair, type AvPair } from './av-pairs';
import { channelBindingsHash } from '../channel-bindings';
import { NtlmContext } from './context';
import { NtlmMessageError } from './errors';
import { CLIENT_NEGOTIATE_FLAGS, NegotiateFlag } from './flags';
import { NtlmInitiator, type NtlmOptions } from './initiator';
import { AUTHENTICATE_MIC_OFFSET, CLIENT_VERSION, decodeAuthenticate, encodeNegotiate } from './messages';
import { hmacMd5, ntlmv2Response, ntowfv2 } from './ntlmv2';
import { NtlmSessionSecurity } from './session-security';
import { ascii, captureToken, fromHex, hex, MS_NLMP, scriptedRandom, utf16 } from './test-support/bytes';
import { parseNtlmUserName } from './user-name';

const FILETIME_ZERO = -11644473600000; // 1601-01-01 in Unix milliseconds
const noClock = (): number => {
  throw new Error('the clock must not be read when the server sends a timestamp');
};

const options = (overrides: Partial<NtlmOptions> = {}): NtlmOptions => ({
  credentials: { userName: 'Domain\\User', password: 'Password' },
  connection: { channelBindings: undefined, targetHostName: 'server.example' },
  randomBytes: scriptedRandom(MS_NLMP.clientChallenge, MS_NLMP.randomSessionKey),
  now: () => FILETIME_ZERO,
  workstation: 'COMPUTER',
  ...overrides,
});

/** A CHALLENGE with a 56-byte fixed part (VERSION 6.0.6000), no target name, and the given TargetInfo. */
function challengeMessage(flags: number, targetInfo: readonly AvPair[], serverChallenge = MS_NLMP.serverChallenge) {
  const info = encodeAvPairs(targetInfo);
  const out = new Uint8Array(56 + info.length);
  const view = new DataView(out.buffer);
  out.set(ascii('NTLMSSP\0'));
  view.setUint32(8, 2, true);
  view.setUint32(16, 56, true);
  view.setUint32(20, flags, true);
  out.set(serverChallenge, 24);
  view.setUint16(40, info.length, true);
  view.setUint16(42, info.length, true);
  view.setUint32(44, 56, true);
  out.set(fromHex('060070170000000f'), 48);
  out.set(info, 56);
  return out;
}

const MS_FLAGS = 0xe28a8233;
const msChallenge = () => challengeMessage(MS_FLAGS, decodeAvPairs(MS_NLMP.avPairs));
const blobAvPairs = (ntChallengeResponse: Uint8Array) => decodeAvPairs(ntChallengeResponse.subarray(16 + 28));

describe('NtlmInitiator with the MS-NLMP 4.2.4 inputs (no server timestamp)', () => {
  const initiator = new NtlmInitiator(options());
  const negotiate = initiator.step(undefined);
  const authenticate = initiator.step(msChallenge());
  const message = decodeAuthenticate(authenticate);

  it('sends the Windows-style NEGOTIATE', () => {
    expect(hex(negotiate)).toBe(hex(encodeNegotiate(CLIENT_NEGOTIATE_FLAGS, CLIENT_VERSION)));
  });

  it('answers with the LMv2 response, no MIC, and the CHALLENGE flags', () => {
    expect(message.flags).toBe(MS_FLAGS);
    expect(hex(message.lmChallengeResponse)).toBe('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
    expect(message.mic).toBeUndefined();
    expect([message.domainName, message.userName, message.workstation]).toEqual(['Domain', 'User', 'COMPUTER']);
    expect(message.version).toEqual(CLIENT_VERSION);
  });

  it('builds the NTLMv2 blob from the clock, the client challenge and the extended AV pairs', () => {
    const blob = message.ntChallengeResponse.subarray(16);
    expect(hex(blob.subarray(0, 28))).toBe('0101000000000000' + '0000000000000000' + 'aaaaaaaaaaaaaaaa' + '00000000');
    const pairs = blobAvPairs(message.ntChallengeResponse);
    expect(pairs.map((pair) => pair.id)).toEqual([
      AvId.nbDomainName,
      AvId.nbComputerName,
      AvId.channelBindings,
      AvId.targetName,
    ]);
    expect(hex(findAvPair(pairs, AvId.channelBindings)!)).toBe('00'.repeat(16));
    expect(Buffer.from(findAvPair(pairs, AvId.targetName)!).toString('utf16le')).toBe('HTTP/server.example');
    // NTProofStr over exactly that blob, with the MS-NLMP NTOWFv2.
    const expected = ntlmv2Response(fromHex('0c868a403bfd7a93a3001ef22ef02e3f'), MS_NLMP.serverChallenge, blob);
    expect(hex(message.ntChallengeResponse.subarray(0, 16))).toBe(hex(expected.ntProofStr));
    expect(hex(message.encryptedRandomSessionKey)).toBe(
      hex(rc4Once(expected.sessionBaseKey, MS_NLMP.randomSessionKey)),
    );
  });

  it('seals with the exported session key: the MS-NLMP 4.2.4.4 "Plaintext" vector', () => {
    expect(initiator.complete).toBe(true);
    expect(initiator.requiresMechListMic).toBe(false);
    const { header, data } = initiator.sealing!.wrap(utf16('Plaintext'));
    expect(hex(data)).toBe('54e50165bf1936dc996020c1811b0f06fb5f');
    expect(hex(header)).toBe('010000007fb38ec5c55d497600000000');
  });

  it('refuses another step', () => {
    expect(() => initiator.step(msChallenge())).toThrow(InvalidStateError);
    expect(() => initiator.step(undefined)).toThrow(UsageError);
  });
});

describe('NtlmInitiator against the captured Windows CHALLENGE (server timestamp)', () => {
  const bindings = Buffer.concat([ascii('tls-server-end-point:'), new Uint8Array(32).fill(7)]);
  const exportedKey = new Uint8Array(16).fill(0x11);
  const initiator = new NtlmInitiator(
    options({
      credentials: { userName: 'alice@lab.test', password: 'Secret-123' },
      connection: { channelBindings: bindings, targetHostName: 'win-lab.lab.test' },
      randomBytes: scriptedRandom(new Uint8Array(8).fill(0xcc), exportedKey),
      now: noClock,
      spnService: 'WSMAN',
    }),
  );
  const negotiate = initiator.step(undefined);
  const challenge = captureToken('ntlm_challenge');
  const authenticate = initiator.step(challenge);
  const message = decodeAuthenticate(authenticate);
  const pairs = blobAvPairs(message.ntChallengeResponse);

  it('reuses the server timestamp and sends Z(24) as LM response', () => {
    expect(hex(message.ntChallengeResponse.subarray(24, 32))).toBe('f8819288991ed601');
    expect(hex(findAvPair(pairs, AvId.timestamp)!)).toBe('f8819288991ed601');
    expect(hex(message.lmChallengeResponse)).toBe('00'.repeat(24));
  });

  it('sends a UPN as the user with an empty domain', () => {
    expect([message.domainName, message.userName]).toEqual(['', 'alice@lab.test']);
    const responseKey = ntowfv2('Secret-123', 'alice@lab.test', '');
    const expected = ntlmv2Response(responseKey, fromHex('e4101014cf8a90be'), message.ntChallengeResponse.subarray(16));
    expect(hex(message.ntChallengeResponse.subarray(0, 16))).toBe(hex(expected.ntProofStr));
  });

  it('adds MsvAvFlags with the MIC bit, the channel bindings hash and the SPN', () => {
    expect(hex(findAvPair(pairs, AvId.flags)!)).toBe('02000000');
    expect(hex(findAvPair(pairs, AvId.channelBindings)!)).toBe(hex(channelBindingsHash(bindings)));
    expect(Buffer.from(findAvPair(pairs, AvId.targetName)!).toString('utf16le')).toBe('WSMAN/win-lab.lab.test');
  });

  it('writes the MIC over NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE with the MIC zeroed', () => {
    const zeroed = Uint8Array.from(authenticate).fill(0, AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + 16);
    expect(hex(message.mic!)).toBe(hex(hmacMd5(exportedKey, negotiate, challenge, zeroed)));
    expect(initiator.requiresMechListMic).toBe(true);
  });

  it('signs the SPNEGO mechListMIC, then restarts its outgoing keystream at sequence 1', () => {
    const server = new NtlmSessionSecurity(exportedKey, message.flags, 'acceptor');
    const mechTypeList = fromHex('300c060a2b06010401823702020a');
    server.verify(mechTypeList, initiator.mechListMic(mechTypeList));
    server.resetKeystream('incoming');
    const { header, data } = initiator.sealing!.wrap(ascii('after the MIC'));
    expect(hex(header.subarray(12))).toBe('01000000');
    expect(Buffer.from(server.unseal(header, data)).toString('latin1')).toBe('after the MIC');

    const serverMic = server.sign(mechTypeList);
    server.resetKeystream('outgoing');
    initiator.verifyMechListMic(mechTypeList, serverMic);
    const reply = server.seal(ascii('reply'));
    expect(Buffer.from(initiator.sealing!.unwrap(reply.signature, reply.sealed)).toString('latin1')).toBe('reply');
  });
});

describe('NtlmInitiator details and failures', () => {
  it('ORs the MIC bit into the MsvAvFlags the server sent, in place', () => {
    const initiator = new NtlmInitiator(options({ now: noClock }));
    initiator.step(undefined);
    const serverPairs = [
      { id: AvId.flags, value: fromHex('01000000') },
      { id: AvId.timestamp, value: new Uint8Array(8).fill(1) },
      { id: AvId.targetName, value: utf16('HTTP/stale') },
    ];
    const message = decodeAuthenticate(initiator.step(challengeMessage(MS_FLAGS, serverPairs)));
    const pairs = blobAvPairs(message.ntChallengeResponse);
    expect(pairs.map((pair) => [pair.id, hex(pair.value)])).toEqual([
      [AvId.flags, '03000000'],
      [AvId.timestamp, '0101010101010101'],
      [AvId.channelBindings, '00'.repeat(16)],
      [AvId.targetName, hex(utf16('HTTP/server.example'))],
    ]);
  });

  it('sends no encrypted session key without KEY_EXCH and seals with the session base key', () => {
    const flags = MS_FLAGS & ~NegotiateFlag.keyExchange;
    const initiator = new NtlmInitiator(options({ randomBytes: scriptedRandom(MS_NLMP.clientChallenge) }));
    initiator.step(undefined);
    const message = decodeAuthenticate(initiator.step(challengeMessage(flags, decodeAvPairs(MS_NLMP.avPairs))));
    expect(message.encryptedRandomSessionKey.length).toBe(0);
    const blob = message.ntChallengeResponse.subarray(16);
    const { sessionBaseKey } = ntlmv2Response(ntowfv2('Password', 'User', 'Domain'), MS_NLMP.serverChallenge, blob);
    const server = new NtlmSessionSecurity(sessionBaseKey, flags, 'acceptor');
    const { header, data } = initiator.sealing!.wrap(ascii('hello'));
    expect(Buffer.from(server.unseal(header, data)).toString('latin1')).toBe('hello');
  });

  it.each([
    ['EXTENDED_SESSIONSECURITY', NegotiateFlag.extendedSessionSecurity],
    ['SEAL', NegotiateFlag.seal],
    ['SIGN', NegotiateFlag.sign],
    ['UNICODE', NegotiateFlag.unicode],
  ])('refuses a CHALLENGE without %s', (name, flag) => {
    const initiator = new NtlmInitiator(options());
    initiator.step(undefined);
    expect(() => initiator.step(challengeMessage(MS_FLAGS & ~flag, []))).toThrow(new RegExp(`does not grant ${name}`));
    expect(() => initiator.step(msChallenge())).toThrow(InvalidStateError); // failed for good
  });

  it('refuses a missing or malformed CHALLENGE and a token on the first step', () => {
    expect(() => new NtlmInitiator(options()).step(msChallenge())).toThrow(UsageError);
    const silent = new NtlmInitiator(options());
    silent.step(undefined);
    expect(() => silent.step(undefined)).toThrow(ProtocolError);
    const garbled = new NtlmInitiator(options());
    garbled.step(undefined);
    expect(() => garbled.step(msChallenge().subarray(0, 60))).toThrow(NtlmMessageError);
  });

  it('throws only ProtocolErrors for mutated CHALLENGE messages', () => {
    const sample = captureToken('ntlm_challenge');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: sample.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (edits) => {
          const bytes = Uint8Array.from(sample);
          for (const [offset, value] of edits) bytes[offset] = value;
          const initiator = new NtlmInitiator(options({ randomBytes: (n) => new Uint8Array(n), now: () => 0 }));
          initiator.step(undefined);
          try {
            initiator.step(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(ProtocolError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('NtlmContext (raw NTLM in the Negotiate scheme)', () => {
  it('takes two legs and then offers sealing', () => {
    const context = new NtlmContext(options({ credentials: { userName: 'LAB\\alice', password: 'x' } }));
    expect([context.mechanismName, context.httpScheme, context.connectionBound]).toEqual(['NTLM', 'Negotiate', true]);
    const first = context.step(undefined);
    expect(first.kind).toBe('continue');
    expect(hex(first.token!.subarray(0, 12))).toBe('4e544c4d5353500001000000');
    expect(context.complete).toBe(false);
    expect(context.sealing).toBeUndefined();
    const second = context.step(msChallenge());
    expect(second.kind).toBe('complete');
    expect(decodeAuthenticate(second.token!).userName).toBe('alice');
    expect(context.complete).toBe(true);
    expect(context.sealing?.encryptedProtocol).toBe('application/HTTP-SPNEGO-session-encrypted');
    expect(() => context.step(undefined)).toThrow(UsageError);
  });

  it('phrases a refusal of the credentials for the user', () => {
    const context = new NtlmContext(options({ credentials: { userName: 'LAB\\alice', password: 'wrong' } }));
    const error = context.credentialsRejected();
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ failure: 'credentials-rejected', mechanism: 'NTLM', principal: 'LAB\\alice' });
    expect(error.message).toMatch(/^the server rejected the credentials of LAB\\alice using NTLM/);
  });
});

describe('parseNtlmUserName', () => {
  it.each([
    ['LAB\\alice', { domain: 'LAB', user: 'alice' }],
    ['alice@lab.test', { domain: '', user: 'alice@lab.test' }],
    ['alice', { domain: '', user: 'alice' }],
    ['.\\Administrator', { domain: '.', user: 'Administrator' }],
  ])('%s', (text, expected) => {
    expect(parseNtlmUserName(text)).toEqual({ ...expected, display: text });
  });

  it.each(['', 'LAB\\', 'LAB\\a\\b'])('refuses %j', (text) => {
    expect(() => parseNtlmUserName(text)).toThrow(UsageError);
  });
});
