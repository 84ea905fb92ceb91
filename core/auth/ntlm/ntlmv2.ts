/**
 * NTLMv2 arithmetic (MS-NLMP 3.3.2; PROTOCOL.md §4.3): the response keys, the client blob ("temp"),
 * NTProofStr, the NT and LM responses, and the session base key. Pure functions of their inputs.
 */

import { createHash, createHmac } from 'node:crypto';
import { md4 } from '../crypto/md4';
import { utf16le } from './messages';

export const hmacMd5 = (key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array => {
  const hmac = createHmac('md5', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest();
};

export const md5 = (...parts: readonly Uint8Array[]): Uint8Array => {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/**
 * Upper-cases as Windows does for NTOWFv2 (RtlUpcaseUnicodeString): UTF-16 code unit by code unit,
 * never changing the length, so `ß` stays `ß` where String.prototype.toUpperCase would give `SS`.
 */
export function windowsUpperCase(text: string): string {
  let result = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text[i]!;
    const upper = unit.toUpperCase();
    result += upper.length === 1 ? upper : unit;
  }
  return result;
}

export const ntowfv1 = (password: string): Uint8Array => md4(utf16le(password));

/** NTOWFv2 = HMAC_MD5(NTOWFv1(password), UTF16LE(UPPER(user) ‖ domain)): only the user is upper-cased. */
export const ntowfv2 = (password: string, user: string, domain: string): Uint8Array =>
  hmacMd5(ntowfv1(password), utf16le(windowsUpperCase(user) + domain));

const BLOB_HEADER = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0]); // RespType, HiRespType, Reserved1, Reserved2
const FOUR_ZEROS = new Uint8Array(4);

/** The NTLMv2 client blob: header ‖ Timestamp ‖ ClientChallenge ‖ Z(4) ‖ AV pairs (with EOL) ‖ Z(4). */
export const ntlmv2ClientBlob = (timestamp: Uint8Array, clientChallenge: Uint8Array, avPairs: Uint8Array): Uint8Array =>
  Buffer.concat([BLOB_HEADER, timestamp, clientChallenge, FOUR_ZEROS, avPairs, FOUR_ZEROS]);

export interface Ntlmv2Response {
  readonly ntProofStr: Uint8Array;
  /** NTProofStr ‖ client blob. */
  readonly ntChallengeResponse: Uint8Array;
  /** HMAC_MD5(NTOWFv2, NTProofStr); for NTLMv2 also the KeyExchangeKey. */
  readonly sessionBaseKey: Uint8Array;
}

export function ntlmv2Response(responseKey: Uint8Array, serverChallenge: Uint8Array, blob: Uint8Array): Ntlmv2Response {
  const ntProofStr = hmacMd5(responseKey, serverChallenge, blob);
  return {
    ntProofStr,
    ntChallengeResponse: Buffer.concat([ntProofStr, blob]),
    sessionBaseKey: hmacMd5(responseKey, ntProofStr),
  };
}

/** LMv2 = HMAC_MD5(NTOWFv2, ServerChallenge ‖ ClientChallenge) ‖ ClientChallenge. */
export const lmv2Response = (
  responseKey: Uint8Array,
  serverChallenge: Uint8Array,
  clientChallenge: Uint8Array,
): Uint8Array => Buffer.concat([hmacMd5(responseKey, serverChallenge, clientChallenge), clientChallenge]);

const FILETIME_UNIX_EPOCH = 116444736000000000n;

/** Milliseconds since the Unix epoch → FILETIME (100 ns since 1601-01-01), 8 bytes little-endian. */
export function fileTime(unixMilliseconds: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.round(unixMilliseconds)) * 10000n + FILETIME_UNIX_EPOCH, true);
  return out;
}
