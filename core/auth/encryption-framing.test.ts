import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors';
import {
  EncryptedMessageError,
  decryptMessage,
  encryptMessage,
  isEncryptedContentType,
  parseContentType,
} from './encryption-framing';
import type { MessageSealing } from './mechanism';

const SPNEGO = 'application/HTTP-SPNEGO-session-encrypted';
const CREDSSP = 'application/HTTP-CredSSP-session-encrypted';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const le32 = (value: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value);
  return out;
};
const join = (...pieces: (string | Uint8Array)[]) =>
  new Uint8Array(Buffer.concat(pieces.map((piece) => (typeof piece === 'string' ? bytes(piece) : piece))));

/** pywinrm's fake NTLM session security (winrm/tests/test_encryption.py): signature "1234", data base64. */
const pywinrmNtlm: MessageSealing = {
  encryptedProtocol: SPNEGO,
  maxChunkBytes: undefined,
  wrap: (plaintext) => ({ header: bytes('1234'), data: bytes(Buffer.from(plaintext).toString('base64')) }),
  unwrap: (header, data) => {
    if (Buffer.from(header).toString('latin1') !== '1234') throw new ProtocolError('bad signature');
    return new Uint8Array(Buffer.from(Buffer.from(data).toString('latin1'), 'base64'));
  },
};

/** pywinrm's fake CredSSP: the TLS record is base64(chunk), its first 32 bytes framed as the header. */
const pywinrmCredSsp: MessageSealing = {
  encryptedProtocol: CREDSSP,
  maxChunkBytes: 16384,
  wrap: (plaintext) => {
    const record = bytes(Buffer.from(plaintext).toString('base64'));
    return { header: record.subarray(0, 32), data: record.subarray(32) };
  },
  // CredSSP's receiver feeds header ‖ data to its TLS engine, whatever the split.
  unwrap: (header, data) => new Uint8Array(Buffer.from(Buffer.from(join(header, data)).toString('latin1'), 'base64')),
};

/** A keyed XOR "cipher" with a 16-byte header carrying a checksum, for round trips and fuzzing. */
function xorSealing(maxChunkBytes: number | undefined): MessageSealing {
  const checksum = (data: Uint8Array) => data.reduce((sum, byte) => (sum * 31 + byte) >>> 0, 7);
  return {
    encryptedProtocol: SPNEGO,
    maxChunkBytes,
    wrap: (plaintext) => {
      const header = new Uint8Array(16);
      new DataView(header.buffer).setUint32(0, checksum(plaintext));
      return { header, data: plaintext.map((byte) => byte ^ 0x5a) };
    },
    unwrap: (header, data) => {
      const plaintext = data.map((byte) => byte ^ 0x5a);
      if (header.length !== 16 || new DataView(header.buffer, header.byteOffset).getUint32(0) !== checksum(plaintext)) {
        throw new ProtocolError('checksum mismatch');
      }
      return plaintext;
    },
  };
}

describe('encryptMessage', () => {
  it("frames a message exactly like pywinrm's NTLM example (272 bytes)", () => {
    const message = encryptMessage(bytes('unencrypted message'), pywinrmNtlm);
    expect(message.contentType).toBe(`multipart/encrypted;protocol="${SPNEGO}";boundary="Encrypted Boundary"`);
    expect(message.body.length).toBe(272);
    expect(Buffer.from(message.body)).toEqual(
      Buffer.from(
        join(
          '--Encrypted Boundary\r\n',
          `\tContent-Type: ${SPNEGO}\r\n`,
          '\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=19\r\n',
          '--Encrypted Boundary\r\n',
          '\tContent-Type: application/octet-stream\r\n',
          le32(4),
          '1234',
          'dW5lbmNyeXB0ZWQgbWVzc2FnZQ==',
          '--Encrypted Boundary--\r\n',
        ),
      ),
    );
  });

  it("splits CredSSP messages into 16 KiB chunks like pywinrm's 3-chunk example (55303 bytes)", () => {
    const plaintext = bytes('unencrypted message '.repeat(2048));
    const message = encryptMessage(plaintext, pywinrmCredSsp);
    expect(message.contentType).toBe(`multipart/x-multi-encrypted;protocol="${CREDSSP}";boundary="Encrypted Boundary"`);
    expect(message.body.length).toBe(55303);
    const part = (chunk: Uint8Array) => {
      const record = Buffer.from(chunk).toString('base64');
      return join(
        '--Encrypted Boundary\r\n',
        `\tContent-Type: ${CREDSSP}\r\n`,
        `\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=${chunk.length}\r\n`,
        '--Encrypted Boundary\r\n',
        '\tContent-Type: application/octet-stream\r\n',
        le32(32),
        record,
      );
    };
    const expected = join(
      part(plaintext.subarray(0, 16384)),
      part(plaintext.subarray(16384, 32768)),
      part(plaintext.subarray(32768)),
      '--Encrypted Boundary--\r\n',
    );
    expect(Buffer.from(message.body).equals(Buffer.from(expected))).toBe(true);
  });

  it('keeps a message of exactly one chunk in multipart/encrypted', () => {
    const message = encryptMessage(new Uint8Array(16384), pywinrmCredSsp);
    expect(parseContentType(message.contentType).mediaType).toBe('multipart/encrypted');
  });

  it('frames the MS-NLMP 4.2.4 sealed "Plaintext" as PROTOCOL.md §3.5 shows', () => {
    const signature = Buffer.from('010000007fb38ec5c55d497600000000', 'hex');
    const sealed = Buffer.from('54e50165bf1936dc996020c1811b0f06fb5f', 'hex');
    const plaintext = new Uint8Array(Buffer.from('Plaintext', 'utf16le'));
    const sealing: MessageSealing = {
      encryptedProtocol: SPNEGO,
      maxChunkBytes: undefined,
      wrap: () => ({ header: signature, data: sealed }),
      unwrap: (header, data) => {
        expect(Buffer.from(header)).toEqual(signature);
        expect(Buffer.from(data)).toEqual(sealed);
        return plaintext;
      },
    };
    const message = encryptMessage(plaintext, sealing);
    const text = Buffer.from(message.body).toString('latin1');
    expect(text).toContain('Length=18\r\n');
    const payload = Buffer.from(message.body).subarray(text.indexOf('octet-stream\r\n') + 'octet-stream\r\n'.length);
    expect(payload.subarray(0, 4 + 16 + 18).toString('hex')).toBe(
      '10000000' + '010000007fb38ec5c55d497600000000' + '54e50165bf1936dc996020c1811b0f06fb5f',
    );
    expect(decryptMessage(message.contentType, message.body, sealing)).toEqual(plaintext);
  });
});

describe('decryptMessage', () => {
  const ntlmBody = (ending: string, length = 19, indent = '\t', boundary = '--Encrypted Boundary') =>
    join(
      `${boundary}\r\n`,
      `${indent}Content-Type: ${SPNEGO}\r\n`,
      `${indent}OriginalContent: type=application/soap+xml;charset=UTF-8;Length=${length}\r\n`,
      `${boundary}\r\n`,
      `${indent}Content-Type: application/octet-stream\r\n`,
      le32(4),
      '1234',
      'dW5lbmNyeXB0ZWQgbWVzc2FnZQ==',
      ending,
    );
  const contentType = `multipart/encrypted;protocol="${SPNEGO}";boundary="Encrypted Boundary"`;
  const decrypt = (body: Uint8Array, type = contentType) =>
    Buffer.from(decryptMessage(type, body, pywinrmNtlm)).toString('latin1');

  it("opens pywinrm's examples, with and without the closing `--`", () => {
    expect(decrypt(ntlmBody('--Encrypted Boundary--\r\n'))).toBe('unencrypted message');
    expect(decrypt(ntlmBody('--Encrypted Boundary\r\n'))).toBe('unencrypted message');
  });

  it('tolerates part headers without the TAB, Exchange-style `-- Encrypted Boundary` and a missing final CRLF', () => {
    expect(decrypt(ntlmBody('--Encrypted Boundary--\r\n', 19, ''))).toBe('unencrypted message');
    expect(decrypt(ntlmBody('-- Encrypted Boundary--\r\n', 19, '\t', '-- Encrypted Boundary'))).toBe(
      'unencrypted message',
    );
    expect(decrypt(ntlmBody('--Encrypted Boundary--'))).toBe('unencrypted message');
  });

  it('takes the boundary from the content type and matches the protocol case-insensitively', () => {
    const body = Buffer.from(ntlmBody('--Encrypted Boundary--\r\n'))
      .toString('latin1')
      .replaceAll('Encrypted Boundary', 'b1');
    const type = `multipart/encrypted; boundary=b1; protocol="${SPNEGO.toUpperCase()}"`;
    expect(decrypt(bytes(body), type)).toBe('unencrypted message');
  });

  it("refuses pywinrm's length-mismatch example", () => {
    expect(() => decrypt(ntlmBody('--Encrypted Boundary--\r\n', 20))).toThrow(
      /announced Length=20 but decrypted to 19 bytes/,
    );
  });

  it("opens pywinrm's 3-chunk CredSSP example whatever the header split", () => {
    const plaintext = bytes('unencrypted message '.repeat(2048));
    const part = (chunk: Uint8Array, headerLength: number) =>
      join(
        '--Encrypted Boundary\r\n',
        `\tContent-Type: ${CREDSSP}\r\n`,
        `\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=${chunk.length}\r\n`,
        '--Encrypted Boundary\r\n',
        '\tContent-Type: application/octet-stream\r\n',
        le32(headerLength),
        Buffer.from(chunk).toString('base64'),
      );
    const body = join(
      part(plaintext.subarray(0, 16384), 5443),
      part(plaintext.subarray(16384, 32768), 5443),
      part(plaintext.subarray(32768), 2711),
      '--Encrypted Boundary--\r\n',
    );
    const type = `multipart/x-multi-encrypted;protocol="${CREDSSP}";boundary="Encrypted Boundary"`;
    expect(Buffer.from(decryptMessage(type, body, pywinrmCredSsp)).equals(Buffer.from(plaintext))).toBe(true);
  });

  it.each([
    ['a plain SOAP content type', 'application/soap+xml;charset=UTF-8', ntlmBody('--Encrypted Boundary--\r\n')],
    [
      'another protocol',
      `multipart/encrypted;protocol="${CREDSSP}";boundary="Encrypted Boundary"`,
      ntlmBody('--Encrypted Boundary--\r\n'),
    ],
    [
      'no protocol parameter',
      'multipart/encrypted;boundary="Encrypted Boundary"',
      ntlmBody('--Encrypted Boundary--\r\n'),
    ],
    ['text before the first delimiter', contentType, join('x', ntlmBody('--Encrypted Boundary--\r\n'))],
    ['bytes after the closing delimiter', contentType, join(ntlmBody('--Encrypted Boundary--\r\n'), 'junk')],
    ['no delimiter at all', contentType, bytes('hello')],
    [
      'a description part naming another protocol',
      contentType,
      bytes(
        Buffer.from(ntlmBody('--Encrypted Boundary--\r\n'))
          .toString('latin1')
          .replace(`Content-Type: ${SPNEGO}`, 'Content-Type: text/plain'),
      ),
    ],
    [
      'a description without Length=',
      contentType,
      bytes(Buffer.from(ntlmBody('--Encrypted Boundary--\r\n')).toString('latin1').replace('Length=19', 'Size=19')),
    ],
    [
      'a data part that is not octet-stream',
      contentType,
      bytes(Buffer.from(ntlmBody('--Encrypted Boundary--\r\n')).toString('latin1').replace('octet-stream', 'json')),
    ],
  ])('refuses %s with an EncryptedMessageError', (_, type, body) => {
    expect(() => decryptMessage(type, body, pywinrmNtlm)).toThrow(EncryptedMessageError);
  });

  it('refuses a header length beyond the data part, before calling unwrap', () => {
    const body = join(
      '--Encrypted Boundary\r\n',
      `\tContent-Type: ${SPNEGO}\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=1\r\n`,
      '--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n',
      le32(0xffffffff),
      '1234',
      '--Encrypted Boundary--\r\n',
    );
    expect(() => decryptMessage(contentType, body, pywinrmNtlm)).toThrow(
      /declares a 4294967295-byte header but holds 4/,
    );
  });

  it('refuses a closing delimiter before the last part and an odd number of parts', () => {
    const early = Buffer.from(ntlmBody('--Encrypted Boundary--\r\n')).toString('latin1');
    const closedEarly = early.replace(
      '\r\n--Encrypted Boundary\r\n\tContent-Type: application',
      '\r\n--Encrypted Boundary--\r\n\tContent-Type: application',
    );
    expect(() => decrypt(bytes(closedEarly))).toThrow(/closing boundary delimiter precedes/);
    const descriptionOnly = join(
      '--Encrypted Boundary\r\n',
      `\tContent-Type: ${SPNEGO}\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=1\r\n`,
      '--Encrypted Boundary--\r\n',
    );
    expect(() => decrypt(descriptionOnly)).toThrow(/found 1 parts/);
  });

  it('round-trips any plaintext for any chunk size', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.option(fc.integer({ min: 1, max: 700 })),
        (plaintext, chunk) => {
          const sealing = xorSealing(chunk ?? undefined);
          const message = encryptMessage(plaintext, sealing);
          const parts = chunk === null ? 1 : Math.max(1, Math.ceil(plaintext.length / chunk));
          expect(isEncryptedContentType(message.contentType)).toBe(true);
          expect(parseContentType(message.contentType).mediaType).toBe(
            parts > 1 ? 'multipart/x-multi-encrypted' : 'multipart/encrypted',
          );
          expect(decryptMessage(message.contentType, message.body, sealing)).toEqual(plaintext);
        },
      ),
    );
  });

  it('reports damaged or random bodies only as ProtocolErrors', () => {
    const sealing = xorSealing(64);
    const valid = encryptMessage(new Uint8Array(Buffer.from('<s:Envelope/>'.repeat(20))), sealing);
    const mutated = fc
      .tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat({ max: 8 }))
      .map(([at, insert, remove]) => {
        const position = at % valid.body.length;
        return join(valid.body.subarray(0, position), insert, valid.body.subarray(position + remove));
      });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 400 })), (body) => {
        try {
          decryptMessage(valid.contentType, body, sealing);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});

describe('parseContentType', () => {
  it('reads the media type and quoted or bare parameters', () => {
    const type = parseContentType(`Multipart/Encrypted ; protocol="a;b" ;Boundary=Encrypted Boundary`);
    expect(type.mediaType).toBe('multipart/encrypted');
    expect(type.parameters.get('protocol')).toBe('a;b');
    expect(type.parameters.get('boundary')).toBe('Encrypted Boundary');
    expect(parseContentType('application/soap+xml').parameters.size).toBe(0);
    expect(isEncryptedContentType('application/soap+xml;charset=UTF-8')).toBe(false);
  });
});
