import { describe, expect, it } from 'vitest';
import { rc4Once } from '../crypto/rc4';
import { channelBindingsHash } from '../channel-bindings';
import { fileTime, lmv2Response, ntlmv2ClientBlob, ntlmv2Response, ntowfv1, ntowfv2, windowsUpperCase } from './ntlmv2';
import { ascii, hex, MS_NLMP } from './test-support/bytes';

// MS-NLMP 4.2.4 (NTLMv2) as listed in PROTOCOL.md §4.6.
describe('NTLMv2 arithmetic against MS-NLMP 4.2.4', () => {
  const responseKey = ntowfv2(MS_NLMP.password, MS_NLMP.user, MS_NLMP.domain);
  const blob = ntlmv2ClientBlob(MS_NLMP.time, MS_NLMP.clientChallenge, MS_NLMP.avPairs);
  const response = ntlmv2Response(responseKey, MS_NLMP.serverChallenge, blob);

  it('derives NTOWFv1 and NTOWFv2', () => {
    expect(hex(ntowfv1(MS_NLMP.password))).toBe('a4f49c406510bdcab6824ee7c30fd852');
    expect(hex(responseKey)).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
  });

  it('upper-cases only the user in NTOWFv2', () => {
    expect(hex(ntowfv2('Password', 'user', 'Domain'))).toBe(hex(responseKey));
    expect(hex(ntowfv2('Password', 'User', 'DOMAIN'))).not.toBe(hex(responseKey));
  });

  it('builds the client blob ("temp")', () => {
    expect(hex(blob)).toBe(
      '0101000000000000' + '0000000000000000' + 'aaaaaaaaaaaaaaaa' + '00000000' + hex(MS_NLMP.avPairs) + '00000000',
    );
  });

  it('computes NTProofStr, the NT response and the session base key', () => {
    expect(hex(response.ntProofStr)).toBe('68cd0ab851e51c96aabc927bebef6a1c');
    expect(hex(response.ntChallengeResponse)).toBe('68cd0ab851e51c96aabc927bebef6a1c' + hex(blob));
    expect(hex(response.sessionBaseKey)).toBe('8de40ccadbc14a82f15cb0ad0de95ca3');
  });

  it('computes the LMv2 response', () => {
    expect(hex(lmv2Response(responseKey, MS_NLMP.serverChallenge, MS_NLMP.clientChallenge))).toBe(
      '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa',
    );
  });

  it('encrypts the random session key with the key exchange key', () => {
    expect(hex(rc4Once(response.sessionBaseKey, MS_NLMP.randomSessionKey))).toBe('c5dad2544fc9799094ce1ce90bc9d03e');
  });
});

describe('windowsUpperCase', () => {
  it('maps code unit by code unit and never changes the length', () => {
    expect(windowsUpperCase('alice')).toBe('ALICE');
    expect(windowsUpperCase('straße')).toBe('STRAßE');
    expect(windowsUpperCase('élodie')).toBe('ÉLODIE');
    expect(windowsUpperCase('ǆ')).toBe('Ǆ');
  });
});

describe('fileTime', () => {
  it('counts 100 ns intervals since 1601, little-endian', () => {
    expect(hex(fileTime(0))).toBe('00803ed5deb19d01'); // 116444736000000000
    expect(hex(fileTime(-11644473600000))).toBe('0000000000000000'); // 1601-01-01
    expect(hex(fileTime(Date.UTC(2020, 0, 1)))).toBe('0000056936c0d501'); // 132223104000000000
  });
});

describe('channelBindingsHash', () => {
  it('hashes the gss_channel_bindings_struct (PROTOCOL.md §4.5 vector)', () => {
    const applicationData = Buffer.concat([ascii('tls-server-end-point:'), new Uint8Array(32)]);
    expect(hex(channelBindingsHash(applicationData))).toBe('c9ec5cb29e8f57f7ee6429cde733efeb');
  });

  it('is 16 zero bytes without bindings (plain HTTP), as Windows sends', () => {
    expect(hex(channelBindingsHash(undefined))).toBe('00'.repeat(16));
  });
});
