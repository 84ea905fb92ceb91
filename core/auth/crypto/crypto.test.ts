import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { md4 } from './md4';
import { Rc4, rc4Once } from './rc4';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('md4', () => {
  // RFC 1320 §A.5 test suite.
  it.each([
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ])('RFC 1320 vector %j', (input, digest) => {
    expect(hex(md4(ascii(input)))).toBe(digest);
  });

  it('gives NTOWFv1("Password") of MS-NLMP §4.2', () => {
    expect(hex(md4(Buffer.from('Password', 'utf16le')))).toBe('a4f49c406510bdcab6824ee7c30fd852');
  });
});

describe('rc4', () => {
  // RFC 6229 §2: key 0102030405, keystream offsets 0 and 16.
  it('produces the RFC 6229 keystream for a 40-bit key', () => {
    const keystream = new Rc4(Uint8Array.from([1, 2, 3, 4, 5])).process(new Uint8Array(32));
    expect(hex(keystream)).toBe('b2396305f03dc027ccc3524a0a1118a8' + '6982944f18fc82d589c403a47a0d0919');
  });

  it('keeps its keystream across calls (NTLM sealing relies on it)', () => {
    const key = ascii('Key');
    const whole = rc4Once(key, ascii('Plaintext and more'));
    const stream = new Rc4(key);
    const parts = Buffer.concat([stream.process(ascii('Plaintext')), stream.process(ascii(' and more'))]);
    expect(hex(parts)).toBe(hex(whole));
    expect(hex(rc4Once(key, ascii('Plaintext')))).toBe('bbf316e8d940af0ad3');
  });

  it('decrypts what it encrypts for any key and data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.uint8Array({ maxLength: 300 }), (key, data) => {
        expect(hex(rc4Once(key, rc4Once(key, data)))).toBe(hex(data));
      }),
    );
  });

  it('refuses an empty key', () => {
    expect(() => new Rc4(new Uint8Array())).toThrow(RangeError);
  });
});

describe('md4 against an independent implementation', () => {
  it('matches OpenSSL (legacy provider, in a child Node) for every message length from 0 to 300', () => {
    // Lengths around 56 and 64 exercise one- and two-block padding; OpenSSL is the reference.
    const messages = Array.from({ length: 301 }, (_, length) =>
      Buffer.from(Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff)).toString('hex'),
    );
    const reference = execFileSync(
      process.execPath,
      [
        '--openssl-legacy-provider',
        '-e',
        `const c = require('node:crypto');
         for (const m of JSON.parse(process.argv[1])) console.log(c.createHash('md4').update(Buffer.from(m, 'hex')).digest('hex'));`,
        JSON.stringify(messages),
      ],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    expect(reference).toHaveLength(301);
    messages.forEach((message, length) => {
      expect(hex(md4(Buffer.from(message, 'hex'))), `length ${length}`).toBe(reference[length]);
    });
  });
});
