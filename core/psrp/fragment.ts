import { ProtocolError, UsageError } from '../errors';

/**
 * PSRP fragments (MS-PSRP 2.2.4): every PSRP message travels as one or more fragments, each a
 * 21-byte **big-endian** header followed by a slice of the message.
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 8 | ObjectId (uint64): one per message, counted per runspace pool from 1 |
 * | 8 | 8 | FragmentId (uint64): 0, 1, 2… within the message |
 * | 16 | 1 | flags: 0x01 start (S), 0x02 end (E), other bits 0 |
 * | 17 | 4 | BlobLength (uint32) |
 */

export const FRAGMENT_HEADER_BYTES = 21;
export const FRAGMENT_START = 0x01;
export const FRAGMENT_END = 0x02;

export interface FragmentHeader {
  readonly objectId: bigint;
  readonly fragmentId: bigint;
  readonly start: boolean;
  readonly end: boolean;
  readonly blobLength: number;
}

/** The peer sent fragments that cannot be reassembled (bad flags, order, ids or lengths). */
export class FragmentError extends ProtocolError {
  override readonly name = 'FragmentError';
}

/** Header and blob of one fragment, as bytes. */
export function encodeFragment(header: Omit<FragmentHeader, 'blobLength'>, blob: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(FRAGMENT_HEADER_BYTES + blob.length);
  writeFragmentHeader(bytes, 0, { ...header, blobLength: blob.length });
  bytes.set(blob, FRAGMENT_HEADER_BYTES);
  return bytes;
}

function writeFragmentHeader(target: Uint8Array, offset: number, header: FragmentHeader): void {
  const view = new DataView(target.buffer, target.byteOffset + offset, FRAGMENT_HEADER_BYTES);
  view.setBigUint64(0, header.objectId);
  view.setBigUint64(8, header.fragmentId);
  view.setUint8(16, (header.start ? FRAGMENT_START : 0) | (header.end ? FRAGMENT_END : 0));
  view.setUint32(17, header.blobLength);
}

/** Reads the 21 header bytes at `offset`; reserved flag bits must be zero. */
export function decodeFragmentHeader(source: Uint8Array, offset = 0): FragmentHeader {
  if (source.length - offset < FRAGMENT_HEADER_BYTES) {
    throw new UsageError(`a fragment header is ${FRAGMENT_HEADER_BYTES} bytes, got ${source.length - offset}`);
  }
  const view = new DataView(source.buffer, source.byteOffset + offset, FRAGMENT_HEADER_BYTES);
  const flags = view.getUint8(16);
  if ((flags & ~(FRAGMENT_START | FRAGMENT_END)) !== 0) {
    throw new FragmentError(`fragment flags 0x${flags.toString(16)} set reserved bits`);
  }
  return {
    objectId: view.getBigUint64(0),
    fragmentId: view.getBigUint64(8),
    start: (flags & FRAGMENT_START) !== 0,
    end: (flags & FRAGMENT_END) !== 0,
    blobLength: view.getUint32(17),
  };
}

/**
 * Cuts messages into fragments for one runspace pool. The pool's ObjectId counter lives here: it
 * starts at 1 and every message packed takes the next value, so one Fragmenter must serve all the
 * messages a client sends to one pool (its pipelines included).
 */
export class Fragmenter {
  #nextObjectId: bigint;

  constructor(firstObjectId = 1n) {
    this.#nextObjectId = firstObjectId;
  }

  /** The ObjectId the next message will get. */
  get nextObjectId(): bigint {
    return this.#nextObjectId;
  }

  /**
   * Fragments `messages` in order and packs the fragments into payloads of at most `maxPayloadBytes`
   * (the raw bytes one WS-Man Send/Command/creationXml may carry before base64). Each payload is
   * filled before the next begins, a fragment never straddles two payloads, and fragments of
   * several messages may share one payload (MS-PSRP 3.1.5.1.1).
   */
  pack(messages: readonly Uint8Array[], maxPayloadBytes: number): Uint8Array[] {
    if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes <= FRAGMENT_HEADER_BYTES) {
      throw new UsageError(`a payload must hold more than a ${FRAGMENT_HEADER_BYTES}-byte fragment header`);
    }
    const payloads: Uint8Array[] = [];
    let current: Uint8Array[] = [];
    let used = 0;
    const closePayload = (): void => {
      payloads.push(concatBytes(current, used));
      current = [];
      used = 0;
    };
    for (const message of messages) {
      const objectId = this.#nextObjectId++;
      let offset = 0;
      let fragmentId = 0n;
      do {
        // A payload with room for a header but no blob byte only helps an empty message.
        const minimum = FRAGMENT_HEADER_BYTES + (message.length > offset ? 1 : 0);
        if (maxPayloadBytes - used < minimum) closePayload();
        const blobLength = Math.min(message.length - offset, maxPayloadBytes - used - FRAGMENT_HEADER_BYTES);
        const fragment = encodeFragment(
          { objectId, fragmentId, start: offset === 0, end: offset + blobLength === message.length },
          message.subarray(offset, offset + blobLength),
        );
        current.push(fragment);
        used += fragment.length;
        offset += blobLength;
        fragmentId++;
      } while (offset < message.length);
    }
    if (used > 0) closePayload();
    return payloads;
  }
}

export function concatBytes(parts: readonly Uint8Array[], totalLength: number): Uint8Array {
  const result = new Uint8Array(totalLength);
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}
