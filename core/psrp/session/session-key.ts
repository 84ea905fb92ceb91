import { constants, createCipheriv, createDecipheriv, privateDecrypt, type KeyObject } from 'node:crypto';
import { ProtocolError, UsageError } from '../../errors';

/**
 * The SecureString session key of PSRP below protocol 2.4 (PROTOCOL.md §2.5.7): the client sends
 * its RSA public key as a CAPI PUBLICKEYBLOB, the server answers with a 256-bit AES key encrypted
 * to it (RSA PKCS#1 v1.5) in a CAPI SIMPLEBLOB, and every SecureString then travels as
 * base64(AES-256-CBC(UTF-16LE text)) with a zero IV and PKCS#7 padding. When both peers speak 2.4
 * the exchange is skipped and SecureStrings are base64 of the plain UTF-16LE text.
 */

/** The peer's key exchange blob, or a SecureString it sent, cannot be decoded. */
export class SessionKeyError extends ProtocolError {
  override readonly name = 'SessionKeyError';
}

const PUBLICKEYBLOB_HEADER = [0x06, 0x02, 0x00, 0x00, 0x00, 0xa4, 0x00, 0x00, 0x52, 0x53, 0x41, 0x31] as const;
const SIMPLEBLOB_HEADER = [0x01, 0x02, 0x00, 0x00, 0x10, 0x66, 0x00, 0x00, 0x00, 0xa4, 0x00, 0x00] as const;
const AES_256_KEY_BYTES = 32;
const ZERO_IV = new Uint8Array(16);

function rsaComponents(privateKey: KeyObject): { modulus: Buffer; exponent: Buffer } {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'rsa') {
    throw new UsageError('the session key exchange needs an RSA private key');
  }
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.n === undefined || jwk.e === undefined) throw new UsageError('the RSA key lacks its modulus or exponent');
  return { modulus: Buffer.from(jwk.n, 'base64url'), exponent: Buffer.from(jwk.e, 'base64url') };
}

/**
 * PUBLICKEYBLOB of the RSA key: the header (PUBLICKEYBLOB, version 2, CALG_RSA_KEYX, "RSA1"), the
 * bit length and public exponent as little-endian uint32, then the modulus little-endian.
 */
export function publicKeyBlob(privateKey: KeyObject): Uint8Array {
  const { modulus, exponent } = rsaComponents(privateKey);
  if (exponent.length > 4) throw new UsageError('a PUBLICKEYBLOB holds a public exponent of at most 32 bits');
  const blob = new Uint8Array(PUBLICKEYBLOB_HEADER.length + 8 + modulus.length);
  blob.set(PUBLICKEYBLOB_HEADER);
  const view = new DataView(blob.buffer);
  view.setUint32(PUBLICKEYBLOB_HEADER.length, modulus.length * 8, true);
  view.setUint32(PUBLICKEYBLOB_HEADER.length + 4, exponent.readUIntBE(0, exponent.length), true);
  blob.set(Uint8Array.from(modulus).reverse(), PUBLICKEYBLOB_HEADER.length + 8);
  return blob;
}

/**
 * The AES-256 session key inside the server's SIMPLEBLOB. The blob's ciphertext is little-endian
 * (CAPI order), so it is reversed before RSA decryption. The PKCS#1 v1.5 padding is removed here
 * because Node refuses PKCS#1 v1.5 private decryption (CVE-2023-46809, a timing oracle that needs
 * an attacker who can submit many ciphertexts; the server sends this one blob once).
 */
export function decryptSessionKey(privateKey: KeyObject, blob: Uint8Array): Uint8Array {
  const { modulus } = rsaComponents(privateKey);
  if (blob.length !== SIMPLEBLOB_HEADER.length + modulus.length) {
    throw new SessionKeyError(
      `an encrypted session key of ${blob.length} bytes does not fit a ${modulus.length * 8}-bit RSA key`,
    );
  }
  if (!SIMPLEBLOB_HEADER.every((byte, index) => blob[index] === byte)) {
    throw new SessionKeyError('the encrypted session key is not a SIMPLEBLOB of an AES-256 key for CALG_RSA_KEYX');
  }
  const ciphertext = Uint8Array.from(blob.subarray(SIMPLEBLOB_HEADER.length)).reverse();
  let padded: Buffer;
  try {
    padded = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    throw new SessionKeyError('the encrypted session key does not decrypt with our RSA key');
  }
  const key = removePkcs1Type2Padding(padded);
  if (key?.length !== AES_256_KEY_BYTES) {
    throw new SessionKeyError('the encrypted session key is not a PKCS#1 v1.5 padded 256-bit AES key');
  }
  return key;
}

/** EM = 0x00 ‖ 0x02 ‖ PS (≥ 8 non-zero bytes) ‖ 0x00 ‖ M (RFC 8017 §7.2.2). */
function removePkcs1Type2Padding(encoded: Uint8Array): Uint8Array | undefined {
  if (encoded[0] !== 0x00 || encoded[1] !== 0x02) return undefined;
  const separator = encoded.indexOf(0x00, 2);
  if (separator < 10) return undefined;
  return encoded.slice(separator + 1);
}

/** Turns SecureString text into the base64 an `SS` element carries, and back. */
export interface SecureStringCodec {
  encrypt(text: string): string;
  decrypt(base64: string): string;
}

/** AES-256-CBC with the session key, a zero IV and PKCS#7 padding over UTF-16LE text. */
export function sessionKeyCodec(sessionKey: Uint8Array): SecureStringCodec {
  if (sessionKey.length !== AES_256_KEY_BYTES) throw new UsageError('the session key is a 256-bit AES key');
  const key = Uint8Array.from(sessionKey);
  return {
    encrypt(text) {
      const cipher = createCipheriv('aes-256-cbc', key, ZERO_IV);
      return Buffer.concat([cipher.update(Buffer.from(text, 'utf16le')), cipher.final()]).toString('base64');
    },
    decrypt(base64) {
      const data = Buffer.from(base64, 'base64');
      let plain: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-cbc', key, ZERO_IV);
        plain = Buffer.concat([decipher.update(data), decipher.final()]);
      } catch {
        throw new SessionKeyError('a SecureString does not decrypt with the session key');
      }
      return utf16Text(plain);
    },
  };
}

/** Protocol 2.4 on both sides: the UTF-16LE text itself, base64-encoded. */
export const PLAIN_SECURE_STRING_CODEC: SecureStringCodec = {
  encrypt: (text) => Buffer.from(text, 'utf16le').toString('base64'),
  decrypt: (base64) => utf16Text(Buffer.from(base64, 'base64')),
};

function utf16Text(bytes: Buffer): string {
  if (bytes.length % 2 !== 0) throw new SessionKeyError('a SecureString is not UTF-16 text (odd length)');
  return bytes.toString('utf16le');
}
