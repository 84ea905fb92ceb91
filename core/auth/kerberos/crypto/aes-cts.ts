/**
 * AES in CBC mode with ciphertext stealing, the CBC-CS3 variant Kerberos uses (RFC 3962 §5): plain CBC
 * over the input zero-padded to whole blocks, then the last two ciphertext blocks swapped and the final
 * one cut to the length of the last plaintext block. Input of exactly one block is plain CBC; input
 * shorter than a block is refused (the Kerberos profile always prepends a 16-byte confounder).
 */

import { createCipheriv, createDecipheriv } from 'node:crypto';

const BLOCK = 16;

const cipherName = (key: Uint8Array, mode: 'cbc' | 'ecb'): string => {
  if (key.length !== 16 && key.length !== 32) throw new RangeError(`AES key of ${key.length} bytes`);
  return `aes-${key.length * 8}-${mode}`;
};

export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, blocks: Uint8Array): Uint8Array {
  const cipher = createCipheriv(cipherName(key, 'cbc'), key, iv).setAutoPadding(false);
  return Buffer.concat([cipher.update(blocks), cipher.final()]);
}

function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, blocks: Uint8Array): Uint8Array {
  const decipher = createDecipheriv(cipherName(key, 'cbc'), key, iv).setAutoPadding(false);
  return Buffer.concat([decipher.update(blocks), decipher.final()]);
}

const xor = (a: Uint8Array, b: Uint8Array): Uint8Array => a.map((byte, index) => byte ^ b[index]!);

export function aesCtsEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (plaintext.length < BLOCK) throw new RangeError(`AES-CTS needs at least ${BLOCK} bytes`);
  const blockCount = Math.ceil(plaintext.length / BLOCK);
  const padded = new Uint8Array(blockCount * BLOCK);
  padded.set(plaintext);
  const cbc = aesCbcEncrypt(key, iv, padded);
  if (blockCount === 1) return cbc;
  const lastLength = plaintext.length - (blockCount - 1) * BLOCK;
  const out = new Uint8Array(plaintext.length);
  out.set(cbc.subarray(0, (blockCount - 2) * BLOCK));
  out.set(cbc.subarray((blockCount - 1) * BLOCK), (blockCount - 2) * BLOCK);
  out.set(cbc.subarray((blockCount - 2) * BLOCK, (blockCount - 2) * BLOCK + lastLength), (blockCount - 1) * BLOCK);
  return out;
}

export function aesCtsDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length < BLOCK) throw new RangeError(`AES-CTS needs at least ${BLOCK} bytes`);
  const blockCount = Math.ceil(ciphertext.length / BLOCK);
  if (blockCount === 1) return aesCbcDecrypt(key, iv, ciphertext);
  const headLength = (blockCount - 2) * BLOCK;
  const lastLength = ciphertext.length - (blockCount - 1) * BLOCK;
  const swappedFull = ciphertext.subarray(headLength, headLength + BLOCK);
  const partial = ciphertext.subarray(headLength + BLOCK);
  // Decrypting the full block (the real last one) with a zero IV gives C[n-1] xor (P[n] ‖ 0…): its
  // first bytes recover P[n] against the stolen partial block, its tail completes C[n-1].
  const decryptedLast = aesCbcDecrypt(key, new Uint8Array(BLOCK), swappedFull);
  const penultimate = new Uint8Array(BLOCK);
  penultimate.set(partial);
  penultimate.set(decryptedLast.subarray(lastLength), lastLength);
  const lastPlain = xor(decryptedLast.subarray(0, lastLength), partial);
  const previous = headLength === 0 ? iv : ciphertext.subarray(headLength - BLOCK, headLength);
  const head = aesCbcDecrypt(key, iv, ciphertext.subarray(0, headLength));
  const penultimatePlain = xor(aesCbcDecrypt(key, new Uint8Array(BLOCK), penultimate), previous);
  const out = new Uint8Array(ciphertext.length);
  out.set(head);
  out.set(penultimatePlain, headLength);
  out.set(lastPlain, headLength + BLOCK);
  return out;
}
