/**
 * The encryption types (RFC 3961 profiles) this client speaks, behind one interface so the message
 * and GSS layers never branch on the algorithm: AES256 and AES128 with HMAC-SHA1-96 (RFC 3962), what
 * AD and MIT issue today, and RC4-HMAC (RFC 4757) so accounts that only have an RC4 key can still get
 * tickets from older KDCs. Randomness is an input: callers pass the confounder.
 */

import { KerberosMessageError } from '../errors';
import { aes128Profile, aes256Profile } from './aes-sha1';
import { rc4HmacProfile } from './rc4-hmac';

export const EncryptionType = {
  aes256CtsHmacSha196: 18,
  aes128CtsHmacSha196: 17,
  rc4Hmac: 23,
} as const;
export type EncryptionType = (typeof EncryptionType)[keyof typeof EncryptionType];

export const ChecksumType = {
  hmacSha196Aes128: 15,
  hmacSha196Aes256: 16,
  hmacMd5: -138,
  /** RFC 4121 §4.1.1: the GSS authenticator checksum carrying bindings and flags, not a real checksum. */
  gssApi: 0x8003,
} as const;

/** A key of a known encryption type (RFC 4120 EncryptionKey). */
export interface KerberosKey {
  readonly etype: number;
  readonly bytes: Uint8Array;
}

export interface EncryptionProfile {
  readonly etype: EncryptionType;
  readonly name: string;
  readonly keyLength: number;
  readonly confounderLength: number;
  readonly checksumType: number;
  /** Bytes a ciphertext is longer than its plaintext (confounder and integrity tag). */
  readonly overhead: number;
  /** RFC 3961 string-to-key; `params` are the KDC's s2kparams (undefined: the profile's default). */
  stringToKey(password: string, salt: string, params: Uint8Array | undefined): Uint8Array;
  encrypt(key: Uint8Array, usage: number, plaintext: Uint8Array, confounder: Uint8Array): Uint8Array;
  /** Throws KerberosIntegrityError when the ciphertext does not verify under this key and usage. */
  decrypt(key: Uint8Array, usage: number, ciphertext: Uint8Array): Uint8Array;
  /** The keyed checksum of the profile's checksum type. */
  checksum(key: Uint8Array, usage: number, data: Uint8Array): Uint8Array;
}

const profiles: ReadonlyMap<number, EncryptionProfile> = new Map(
  [aes256Profile, aes128Profile, rc4HmacProfile].map((profile) => [profile.etype, profile]),
);

export const isSupportedEtype = (etype: number): etype is EncryptionType => profiles.has(etype);

/** The profile of `etype`; a KerberosMessageError when the peer chose one we never offered. */
export function profileOf(etype: number): EncryptionProfile {
  const profile = profiles.get(etype);
  if (profile === undefined) throw new KerberosMessageError(`unsupported Kerberos encryption type ${etype}`);
  return profile;
}

export const encryptWith = (key: KerberosKey, usage: number, plaintext: Uint8Array, confounder: Uint8Array) =>
  profileOf(key.etype).encrypt(key.bytes, usage, plaintext, confounder);

export const decryptWith = (key: KerberosKey, usage: number, ciphertext: Uint8Array): Uint8Array =>
  profileOf(key.etype).decrypt(key.bytes, usage, ciphertext);
