import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/errors';
import { MalformedChallengeError, challengeToken, findChallenge, parseWwwAuthenticate } from './www-authenticate';

const summary = (values: string[]) =>
  parseWwwAuthenticate(values).map((challenge) => [
    challenge.scheme,
    challenge.token68,
    Object.fromEntries(challenge.params),
  ]);

describe('parseWwwAuthenticate', () => {
  it("reads a Windows host's offer spread over several header lines", () => {
    expect(summary(['Negotiate', 'Kerberos', 'Basic realm="WSMAN"', 'CredSSP'])).toEqual([
      ['Negotiate', undefined, {}],
      ['Kerberos', undefined, {}],
      ['Basic', undefined, { realm: 'WSMAN' }],
      ['CredSSP', undefined, {}],
    ]);
  });

  it('reads the same offer comma-separated in one line, parameters and all', () => {
    expect(summary(['Negotiate, Basic realm="WSMAN", charset="UTF-8", Kerberos,CredSSP'])).toEqual([
      ['Negotiate', undefined, {}],
      ['Basic', undefined, { realm: 'WSMAN', charset: 'UTF-8' }],
      ['Kerberos', undefined, {}],
      ['CredSSP', undefined, {}],
    ]);
  });

  it('reads token68 values with base64 padding, slashes and pluses, beside other challenges', () => {
    const token = 'TlRMTVNTUAACAAAADAAMADgAAAA1go3i+/ab==';
    expect(summary([`Negotiate ${token}, Basic realm=WSMAN`])).toEqual([
      ['Negotiate', token, {}],
      ['Basic', undefined, { realm: 'WSMAN' }],
    ]);
    expect(summary([`Negotiate ${token}  `])).toEqual([['Negotiate', token, {}]]);
  });

  it('unescapes quoted strings with commas and quotes inside', () => {
    expect(summary(['Basic realm="a, \\"b\\"", Negotiate'])).toEqual([
      ['Basic', undefined, { realm: 'a, "b"' }],
      ['Negotiate', undefined, {}],
    ]);
  });

  it('tolerates empty list elements and leading commas, and reads the certificate profile URI as a scheme', () => {
    const uri = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual';
    expect(summary([', ,Negotiate,,', uri])).toEqual([
      ['Negotiate', undefined, {}],
      [uri, undefined, {}],
    ]);
    expect(parseWwwAuthenticate([])).toEqual([]);
  });

  it('refuses text that is neither a token68 nor parameters', () => {
    expect(() => parseWwwAuthenticate(['Negotiate abc def'])).toThrow(MalformedChallengeError);
    expect(() => parseWwwAuthenticate(['Basic realm="unterminated'])).toThrow(MalformedChallengeError);
  });

  it('throws only MalformedChallengeError on any input', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary-ascii', maxLength: 60 }), { maxLength: 3 }), (values) => {
        try {
          for (const challenge of parseWwwAuthenticate(values)) expect(challenge.scheme).not.toBe('');
        } catch (error) {
          expect(error).toBeInstanceOf(MalformedChallengeError);
        }
      }),
    );
  });
});

describe('challengeToken', () => {
  it('finds the scheme case-insensitively and decodes its token', () => {
    const challenges = parseWwwAuthenticate(['Kerberos', 'negotiate YWJj']);
    expect(Buffer.from(challengeToken(findChallenge(challenges, 'Negotiate'))!).toString()).toBe('abc');
    expect(challengeToken(findChallenge(challenges, 'Kerberos'))).toBeUndefined();
    expect(challengeToken(findChallenge(challenges, 'CredSSP'))).toBeUndefined();
  });

  it('refuses a token that is not base64', () => {
    expect(() => challengeToken(findChallenge(parseWwwAuthenticate(['Negotiate a-b_c']), 'Negotiate'))).toThrow(
      ProtocolError,
    );
  });
});
