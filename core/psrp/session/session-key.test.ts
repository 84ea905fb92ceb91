import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../errors';
import { deserializeClixml, PSObject } from '../clixml';
import { MessageType } from '../message';
import { capturedMessages } from '../test-support/captures';
import {
  decryptSessionKey,
  PLAIN_SECURE_STRING_CODEC,
  publicKeyBlob,
  SessionKeyError,
  sessionKeyCodec,
} from './session-key';
import { pypsrpTestKey } from './test-support/pypsrp-key';
import { captureFiles } from './test-support/replay';

const FILE = 'test_psrp_multiple_commands.yml';
const messages = capturedMessages(FILE, captureFiles().get(FILE) ?? []);

function recordedString(type: MessageType, property: string): string {
  const message = messages.find((m) => m.message.messageType === type);
  const value = (deserializeClixml(message?.message.data ?? '') as PSObject).property(property);
  if (value === null || value === undefined || value instanceof PSObject || value.kind !== 'String') {
    throw new Error(`no ${property}`);
  }
  return value.value;
}

const KEY = pypsrpTestKey();
const ENCRYPTED = Buffer.from(recordedString(MessageType.EncryptedSessionKey, 'EncryptedSessionKey'), 'base64');

describe('session key exchange against the Windows recording', () => {
  it('writes the PUBLICKEYBLOB pypsrp sent for the same RSA key, byte for byte', () => {
    const blob = publicKeyBlob(KEY);
    expect(Buffer.from(blob).toString('base64')).toBe(recordedString(MessageType.PublicKey, 'PublicKey'));
    expect([...blob.subarray(0, 20)]).toEqual([
      0x06, 0x02, 0x00, 0x00, 0x00, 0xa4, 0x00, 0x00, 0x52, 0x53, 0x41, 0x31, 0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x01,
      0x00,
    ]);
  });

  it("decrypts Windows' session key and the SecureStrings it protects, both ways", () => {
    const codec = sessionKeyCodec(decryptSessionKey(KEY, ENCRYPTED));
    expect(codec.decrypt('rTm4n3bxaFOIgdjhDDV5OA==')).toBe('abc');
    expect(codec.decrypt('GXD6gSYvWjfp54Vgl3jLpuNMBhNdfWFRbM1QdeUNYFU=')).toBe('Hello World');
    expect(codec.encrypt('abc')).toBe('rTm4n3bxaFOIgdjhDDV5OA==');
  });

  it('refuses blobs that are not an AES-256 SIMPLEBLOB for this key', () => {
    const tampered = Uint8Array.from(ENCRYPTED);
    tampered[4] = 0x0e; // CALG_AES_128
    expect(() => decryptSessionKey(KEY, tampered)).toThrow(SessionKeyError);
    expect(() => decryptSessionKey(KEY, ENCRYPTED.subarray(0, 200))).toThrow(/does not fit/);
    const garbage = Uint8Array.from(ENCRYPTED);
    garbage.fill(0x5a, 12);
    expect(() => decryptSessionKey(KEY, garbage)).toThrow(SessionKeyError);
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => decryptSessionKey(otherKey, ENCRYPTED)).toThrow(SessionKeyError);
  });

  it('needs an RSA private key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => publicKeyBlob(ec.privateKey)).toThrow(UsageError);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => publicKeyBlob(rsa.publicKey)).toThrow(UsageError);
    expect(publicKeyBlob(rsa.privateKey).length).toBe(20 + 128);
    expect(() => sessionKeyCodec(new Uint8Array(16))).toThrow(UsageError);
  });
});

describe('SecureString codecs', () => {
  const codec = sessionKeyCodec(Uint8Array.from({ length: 32 }, (_, i) => 255 - i));

  it('round-trip any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(codec.decrypt(codec.encrypt(text))).toBe(text);
        expect(PLAIN_SECURE_STRING_CODEC.decrypt(PLAIN_SECURE_STRING_CODEC.encrypt(text))).toBe(text);
      }),
    );
  });

  it('write protocol 2.4 SecureStrings as base64 of the UTF-16LE text', () => {
    expect(PLAIN_SECURE_STRING_CODEC.encrypt('ab')).toBe(Buffer.from([0x61, 0, 0x62, 0]).toString('base64'));
    expect(() => PLAIN_SECURE_STRING_CODEC.decrypt(Buffer.from([1, 2, 3]).toString('base64'))).toThrow(SessionKeyError);
  });

  it('only decrypt to text or throw SessionKeyError on arbitrary ciphertext', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          expect(typeof codec.decrypt(Buffer.from(bytes).toString('base64'))).toBe('string');
        } catch (error) {
          expect(error).toBeInstanceOf(SessionKeyError);
        }
      }),
    );
  });
});
