/**
 * AV_PAIR lists (MS-NLMP 2.2.2.1): the TargetInfo of CHALLENGE, and the copy the client extends and
 * returns inside its NTLMv2 response. Each pair is AvId u16 LE, AvLen u16 LE, value; the list ends
 * with MsvAvEOL. Values stay raw bytes; the few the client reads have fixed sizes checked here.
 */

import { NtlmMessageError } from './errors';

export const AvId = {
  eol: 0,
  nbComputerName: 1,
  nbDomainName: 2,
  dnsComputerName: 3,
  dnsDomainName: 4,
  dnsTreeName: 5,
  flags: 6,
  timestamp: 7,
  singleHost: 8,
  targetName: 9,
  channelBindings: 10,
} as const;

/** MsvAvFlags bit: the AUTHENTICATE message carries a MIC. */
export const AV_FLAG_MIC_PRESENT = 0x2;

export interface AvPair {
  readonly id: number;
  readonly value: Uint8Array;
}

const FIXED_SIZES: ReadonlyMap<number, number> = new Map([
  [AvId.flags, 4],
  [AvId.timestamp, 8],
  [AvId.channelBindings, 16],
]);

/** Parses an AV_PAIR list up to its MsvAvEOL; values are views into `bytes`. Bytes after EOL are ignored. */
export function decodeAvPairs(bytes: Uint8Array): AvPair[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pairs: AvPair[] = [];
  for (let offset = 0; ;) {
    if (offset + 4 > bytes.length) throw new NtlmMessageError('NTLM AV_PAIR list ends without MsvAvEOL');
    const id = view.getUint16(offset, true);
    const length = view.getUint16(offset + 2, true);
    offset += 4;
    if (id === AvId.eol) {
      if (length !== 0) throw new NtlmMessageError(`NTLM MsvAvEOL with length ${length}`);
      return pairs;
    }
    if (offset + length > bytes.length) {
      throw new NtlmMessageError(`NTLM AV_PAIR ${id} claims ${length} bytes but ${bytes.length - offset} remain`);
    }
    const expected = FIXED_SIZES.get(id);
    if (expected !== undefined && length !== expected) {
      throw new NtlmMessageError(`NTLM AV_PAIR ${id} has ${length} bytes instead of ${expected}`);
    }
    pairs.push({ id, value: bytes.subarray(offset, offset + length) });
    offset += length;
  }
}

/** Encodes pairs followed by MsvAvEOL. */
export function encodeAvPairs(pairs: readonly AvPair[]): Uint8Array {
  const out = new Uint8Array(pairs.reduce((sum, pair) => sum + 4 + pair.value.length, 4));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const { id, value } of pairs) {
    if (id === AvId.eol || value.length > 0xffff) throw new RangeError(`cannot encode AV_PAIR ${id}`);
    view.setUint16(offset, id, true);
    view.setUint16(offset + 2, value.length, true);
    out.set(value, offset + 4);
    offset += 4 + value.length;
  }
  return out;
}

export const findAvPair = (pairs: readonly AvPair[], id: number): Uint8Array | undefined =>
  pairs.find((pair) => pair.id === id)?.value;
