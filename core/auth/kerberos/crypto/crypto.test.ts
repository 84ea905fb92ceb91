import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KerberosIntegrityError, KerberosMessageError } from '../errors';
import { aes128Profile, aes256Profile, deriveKey } from './aes-sha1';
import { aesCtsDecrypt, aesCtsEncrypt } from './aes-cts';
import { profileOf } from './enctypes';
import { nfold } from './nfold';
import { rc4HmacProfile } from './rc4-hmac';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('n-fold (RFC 3961 §5.1)', () => {
  // RFC 3961 Appendix A.1; the first three are also in PROTOCOL.md §6.4.
  it.each([
    [64, '012345', 'be072631276b1955'],
    [168, 'password', '59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e'],
    [128, 'kerberos', '6b65726265726f737b9b5b2b93132b93'],
    [56, 'password', '78a07b6caf85fa'],
    [64, 'Rough Consensus, and Running Code', 'bb6ed30870b7f0e0'],
    [192, 'MASSACHVSETTS INSTITVTE OF TECHNOLOGY', 'db3b0d8f0b061e603282b308a50841229ad798fab9540c1b'],
    [168, 'Q', '518a54a215a8452a518a54a215a8452a518a54a215'],
    [168, 'ba', 'fb25d531ae8974499f52fd92ea9857c4ba24cf297e'],
    [64, 'kerberos', '6b65726265726f73'],
    [256, 'kerberos', '6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4'],
  ])('%i-fold(%j)', (bits, input, expected) => {
    expect(hex(nfold(ascii(input), bits / 8))).toBe(expected);
  });
});

describe('string-to-key (RFC 3962)', () => {
  const iterations = (count: number): Uint8Array => {
    const params = new Uint8Array(4);
    new DataView(params.buffer).setUint32(0, count);
    return params;
  };

  it('derives the RFC 3962 Appendix B keys (iteration count 1)', () => {
    expect(hex(aes128Profile.stringToKey('password', 'ATHENA.MIT.EDUraeburn', iterations(1)))).toBe(
      '42263c6e89f4fc28b8df68ee09799f15',
    );
    expect(hex(aes256Profile.stringToKey('password', 'ATHENA.MIT.EDUraeburn', iterations(1)))).toBe(
      'fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161',
    );
  });

  it('defaults to 4096 iterations, agreeing with MIT ktutil for raeburn@ATHENA.MIT.EDU', () => {
    // `ktutil addent -password` + `klist -k -K -e` (MIT krb5 1.20), password "password".
    expect(hex(aes128Profile.stringToKey('password', 'ATHENA.MIT.EDUraeburn', undefined))).toBe(
      'fca822951813fb252154c883f5ee1cf4',
    );
    expect(hex(aes256Profile.stringToKey('password', 'ATHENA.MIT.EDUraeburn', undefined))).toBe(
      '01b897121d933ab44b47eb5494db15e50eb74530dbdae9b634d65020ff5d88c1',
    );
    expect(hex(aes256Profile.stringToKey('password', 'ATHENA.MIT.EDUraeburn', iterations(4096)))).toBe(
      '01b897121d933ab44b47eb5494db15e50eb74530dbdae9b634d65020ff5d88c1',
    );
  });

  it('gives RC4-HMAC the NT hash, ignoring the salt', () => {
    expect(hex(rc4HmacProfile.stringToKey('password', 'ignored', undefined))).toBe('8846f7eaee8fb117ad06bdd830b7586c');
  });

  it('refuses s2kparams that are malformed or ask for absurd work', () => {
    expect(() => aes128Profile.stringToKey('p', 's', new Uint8Array(3))).toThrow(KerberosMessageError);
    expect(() => aes128Profile.stringToKey('p', 's', iterations(0))).toThrow(KerberosMessageError);
    expect(() => aes128Profile.stringToKey('p', 's', iterations(0xffffffff))).toThrow(KerberosMessageError);
  });
});

describe('AES-CTS (RFC 3962 Appendix B)', () => {
  const key = fromHex('636869636b656e207465726979616b69');
  const iv = new Uint8Array(16);
  const plaintext = ascii("I would like the General Gau's Chicken, please, and wonton soup.");
  it.each([
    [17, 'c6353568f2bf8cb4d8a580362da7ff7f97'],
    [31, 'fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5'],
    [32, '39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584'],
    [47, '97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5'],
    [48, '97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8'],
    [
      64,
      '97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8',
    ],
  ])('%i bytes', (length, expected) => {
    const input = plaintext.subarray(0, length);
    expect(hex(aesCtsEncrypt(key, iv, input))).toBe(expected);
    expect(hex(aesCtsDecrypt(key, iv, fromHex(expected)))).toBe(hex(input));
  });

  it('round-trips every length and equals CBC with the last two blocks swapped when aligned', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 100 }),
        fc.constantFrom(16, 32),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (input, keyLength, keyMaterial) => {
          const aesKey = keyMaterial.subarray(0, keyLength);
          const sealed = aesCtsEncrypt(aesKey, iv, input);
          expect(sealed.length).toBe(input.length);
          expect(hex(aesCtsDecrypt(aesKey, iv, sealed))).toBe(hex(input));
          if (input.length % 16 === 0 && input.length > 16) {
            const cipher = createCipheriv(`aes-${keyLength * 8}-cbc`, aesKey, iv).setAutoPadding(false);
            const cbc = Buffer.concat([cipher.update(input), cipher.final()]);
            const n = cbc.length;
            const swapped = Buffer.concat([
              cbc.subarray(0, n - 32),
              cbc.subarray(n - 16),
              cbc.subarray(n - 32, n - 16),
            ]);
            expect(hex(sealed)).toBe(hex(swapped));
          }
        },
      ),
    );
  });

  it('refuses input shorter than a block', () => {
    expect(() => aesCtsEncrypt(key, iv, new Uint8Array(15))).toThrow(RangeError);
    expect(() => aesCtsDecrypt(key, iv, new Uint8Array(15))).toThrow(RangeError);
  });
});

describe('RFC 3961 encryption and checksums', () => {
  it('DK with a 16-byte constant uses it unfolded', () => {
    const base = fromHex('42263c6e89f4fc28b8df68ee09799f15');
    const constant = ascii('0123456789abcdef');
    const cipher = createCipheriv('aes-128-ecb', base, null).setAutoPadding(false);
    expect(hex(deriveKey(base, constant))).toBe(hex(cipher.update(constant)));
  });

  it.each([aes128Profile, aes256Profile, rc4HmacProfile])(
    '%s round-trips, binds the usage and detects tampering',
    (profile) => {
      const key = new Uint8Array(profile.keyLength).fill(7);
      const confounder = new Uint8Array(profile.confounderLength).fill(9);
      const message = ascii('the quick brown fox');
      const sealed = profile.encrypt(key, 3, message, confounder);
      expect(sealed.length).toBe(message.length + profile.overhead);
      expect(hex(profile.decrypt(key, 3, sealed))).toBe(hex(message));
      expect(() => profile.decrypt(key, 4, sealed)).toThrow(KerberosIntegrityError);
      const tampered = sealed.slice();
      tampered[tampered.length - 1]! ^= 1;
      expect(() => profile.decrypt(key, 3, tampered)).toThrow(KerberosIntegrityError);
      expect(() => profile.decrypt(key, 3, sealed.subarray(0, profile.overhead - 1))).toThrow(KerberosIntegrityError);
      expect(profile.checksum(key, 6, message)).not.toEqual(profile.checksum(key, 7, message));
    },
  );

  it('renumbers the RC4 AS-REP usage 3 as 8 (RFC 4757 §3)', () => {
    const key = new Uint8Array(16).fill(1);
    const sealed = rc4HmacProfile.encrypt(key, 8, ascii('reply'), new Uint8Array(8));
    expect(new TextDecoder().decode(rc4HmacProfile.decrypt(key, 3, sealed))).toBe('reply');
  });

  it('knows etypes 17, 18 and 23 and refuses others with a typed error', () => {
    expect([17, 18, 23].map((etype) => profileOf(etype).name)).toEqual([
      'aes128-cts-hmac-sha1-96',
      'aes256-cts-hmac-sha1-96',
      'rc4-hmac',
    ]);
    expect(() => profileOf(16)).toThrow(KerberosMessageError);
  });
});
