/**
 * aes128-cts-hmac-sha1-96 (17) and aes256-cts-hmac-sha1-96 (18), RFC 3962 on the RFC 3961 simplified
 * profile: usage keys by DK, encryption = AES-CTS(Ke, zero IV, confounder ‖ plaintext) ‖ the first 12
 * bytes of HMAC-SHA1(Ki, confounder ‖ plaintext), checksums = HMAC-SHA1-96 under Kc.
 */

import { createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { KerberosIntegrityError, KerberosMessageError } from '../errors';
import { aesCbcEncrypt, aesCtsDecrypt, aesCtsEncrypt } from './aes-cts';
import type { EncryptionProfile } from './enctypes';
import { nfold } from './nfold';

const BLOCK = 16;
const MAC_LENGTH = 12;
const DEFAULT_ITERATIONS = 4096;
/** Refuse s2kparams asking for more PBKDF2 rounds (about 0.5 s): KDCs use 4096, and a hostile one could stall us. */
const MAX_ITERATIONS = 1 << 20;
const KERBEROS_CONSTANT = new TextEncoder().encode('kerberos');

/** RFC 3961 §5.1 DK(base, constant) for AES: the AES-ECB chain from n-fold(constant), cut to the key size. */
export function deriveKey(base: Uint8Array, constant: Uint8Array): Uint8Array {
  const out = new Uint8Array(base.length);
  let block = constant.length === BLOCK ? constant : nfold(constant, BLOCK);
  for (let filled = 0; filled < out.length; filled += BLOCK) {
    block = aesCbcEncrypt(base, new Uint8Array(BLOCK), block);
    out.set(block.subarray(0, Math.min(BLOCK, out.length - filled)), filled);
  }
  return out;
}

/** The usage constant BE32(usage) ‖ kind: 0x99 checksum (Kc), 0xAA encryption (Ke), 0x55 integrity (Ki). */
function usageKey(base: Uint8Array, usage: number, kind: 0x99 | 0xaa | 0x55): Uint8Array {
  const constant = new Uint8Array(5);
  new DataView(constant.buffer).setUint32(0, usage >>> 0);
  constant[4] = kind;
  return deriveKey(base, constant);
}

const hmacSha196 = (key: Uint8Array, data: Uint8Array): Uint8Array =>
  createHmac('sha1', key).update(data).digest().subarray(0, MAC_LENGTH);

function iterationsOf(params: Uint8Array | undefined): number {
  if (params === undefined) return DEFAULT_ITERATIONS;
  if (params.length !== 4) throw new KerberosMessageError(`AES s2kparams of ${params.length} bytes (expected 4)`);
  const iterations = new DataView(params.buffer, params.byteOffset, 4).getUint32(0);
  if (iterations === 0 || iterations > MAX_ITERATIONS) {
    throw new KerberosMessageError(`the KDC asks for ${iterations} PBKDF2 iterations`);
  }
  return iterations;
}

function aesProfile(etype: 17 | 18, keyLength: 16 | 32, checksumType: 15 | 16): EncryptionProfile {
  return {
    etype,
    name: `aes${keyLength * 8}-cts-hmac-sha1-96`,
    keyLength,
    confounderLength: BLOCK,
    checksumType,
    overhead: BLOCK + MAC_LENGTH,
    stringToKey(password, salt, params) {
      const seed = pbkdf2Sync(
        Buffer.from(password, 'utf8'),
        Buffer.from(salt, 'utf8'),
        iterationsOf(params),
        keyLength,
        'sha1',
      );
      return deriveKey(seed, KERBEROS_CONSTANT);
    },
    encrypt(key, usage, plaintext, confounder) {
      if (confounder.length !== BLOCK) throw new RangeError(`confounder of ${confounder.length} bytes`);
      const input = new Uint8Array(BLOCK + plaintext.length);
      input.set(confounder);
      input.set(plaintext, BLOCK);
      const ciphertext = aesCtsEncrypt(usageKey(key, usage, 0xaa), new Uint8Array(BLOCK), input);
      const mac = hmacSha196(usageKey(key, usage, 0x55), input);
      const out = new Uint8Array(ciphertext.length + MAC_LENGTH);
      out.set(ciphertext);
      out.set(mac, ciphertext.length);
      return out;
    },
    decrypt(key, usage, ciphertext) {
      if (ciphertext.length < BLOCK + MAC_LENGTH) {
        throw new KerberosIntegrityError(`AES ciphertext of ${ciphertext.length} bytes is too short`);
      }
      const body = ciphertext.subarray(0, ciphertext.length - MAC_LENGTH);
      const input = aesCtsDecrypt(usageKey(key, usage, 0xaa), new Uint8Array(BLOCK), body);
      const expected = hmacSha196(usageKey(key, usage, 0x55), input);
      if (!timingSafeEqual(expected, ciphertext.subarray(body.length))) {
        throw new KerberosIntegrityError(`integrity check failed (key usage ${usage})`);
      }
      return input.subarray(BLOCK);
    },
    checksum(key, usage, data) {
      return hmacSha196(usageKey(key, usage, 0x99), data);
    },
  };
}

export const aes128Profile = aesProfile(17, 16, 15);
export const aes256Profile = aesProfile(18, 32, 16);
