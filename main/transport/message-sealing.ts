import { Buffer } from 'node:buffer';
import {
  checkOpenedPart,
  frameSealedParts,
  plaintextParts,
  readSealedParts,
  type EncryptedMessage,
  type SealedPart,
} from '../../core/auth/encryption-framing';
import type { TransportSealing } from './auth-mechanism';

/**
 * HTTP message encryption (PROTOCOL.md §3) with a sealing that may be asynchronous: the framing is core's
 * (encryptMessage/decryptMessage are these same steps, synchronously); parts are sealed and opened one
 * after another, in order, because a sealing's sequence state (NTLM, Kerberos, a TLS session) follows
 * the order of the parts.
 */
export async function sealMessage(plaintext: Uint8Array, sealing: TransportSealing): Promise<EncryptedMessage> {
  const parts: SealedPart[] = [];
  for (const chunk of plaintextParts(plaintext, sealing.maxChunkBytes)) {
    parts.push({ plaintextLength: chunk.length, ...(await sealing.wrap(chunk)) });
  }
  return frameSealedParts(parts, sealing.encryptedProtocol);
}

export async function openMessage(
  contentType: string,
  body: Uint8Array,
  sealing: TransportSealing,
): Promise<Uint8Array> {
  const opened: Uint8Array[] = [];
  for (const part of readSealedParts(contentType, body, sealing.encryptedProtocol)) {
    opened.push(checkOpenedPart(part, await sealing.unwrap(part.header, part.data)));
  }
  return Buffer.concat(opened);
}
