import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UsageError } from '../errors';
import { Defragmenter } from './defragmenter';
import { INITIAL_MAX_ENVELOPE_SIZE, maxIncomingBlobBytes, maxPayloadBytes } from './envelope-budget';
import { decodeFragmentHeader, encodeFragment, FRAGMENT_HEADER_BYTES, FragmentError, Fragmenter } from './fragment';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const text = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'utf8'));

describe('fragment header (big-endian)', () => {
  // ruby-winrm fragment_spec.rb: ObjectId 1, 'blah blah blah' (14 bytes).
  it('encodes ObjectId, FragmentId, flags and length', () => {
    const blob = text('blah blah blah');
    const whole = encodeFragment({ objectId: 1n, fragmentId: 0n, start: true, end: true }, blob);
    expect(hex(whole.subarray(0, 8))).toBe('0000000000000001');
    expect(hex(whole.subarray(8, 16))).toBe('0000000000000000');
    expect(whole[16]).toBe(0x03);
    expect(hex(whole.subarray(17, 21))).toBe('0000000e');
    expect(whole.subarray(21)).toEqual(blob);
    const middle = encodeFragment({ objectId: 1n, fragmentId: 1n, start: false, end: false }, blob);
    expect(hex(middle.subarray(8, 17))).toBe('000000000000000100');
    expect(encodeFragment({ objectId: 1n, fragmentId: 0n, start: true, end: false }, blob)[16]).toBe(0x01);
    expect(encodeFragment({ objectId: 1n, fragmentId: 2n, start: false, end: true }, blob)[16]).toBe(0x02);
  });

  it('decodes what it encodes, including 64-bit ids', () => {
    const header = { objectId: 2n ** 63n - 1n, fragmentId: 2n ** 40n, start: false, end: true };
    expect(decodeFragmentHeader(encodeFragment(header, new Uint8Array(3)))).toEqual({ ...header, blobLength: 3 });
  });

  it('rejects reserved flag bits', () => {
    const bytes = encodeFragment({ objectId: 1n, fragmentId: 0n, start: true, end: true }, new Uint8Array(0));
    bytes[16] = 0x07;
    expect(() => decodeFragmentHeader(bytes)).toThrow(FragmentError);
  });
});

describe('Fragmenter.pack', () => {
  it('gives each message the next ObjectId of the pool, from 1', () => {
    const fragmenter = new Fragmenter();
    const [first] = fragmenter.pack([text('a')], 100);
    const [second] = fragmenter.pack([text('b'), text('c')], 100);
    expect(decodeFragmentHeader(first ?? new Uint8Array()).objectId).toBe(1n);
    const payload = second ?? new Uint8Array();
    expect(decodeFragmentHeader(payload).objectId).toBe(2n);
    expect(decodeFragmentHeader(payload, FRAGMENT_HEADER_BYTES + 1).objectId).toBe(3n);
    expect(fragmenter.nextObjectId).toBe(4n);
  });

  it('fills each payload, never splitting a fragment across payloads', () => {
    const payloads = new Fragmenter().pack([new Uint8Array(50).fill(1), new Uint8Array(10).fill(2)], 60);
    // 50 bytes → 39 | 11, and the second message starts in the room left: 7 | 3.
    expect(payloads.map((payload) => payload.length)).toEqual([60, 60, 24]);
    const headers = payloads.flatMap((payload) => {
      const found = [];
      for (let offset = 0; offset < payload.length;) {
        const header = decodeFragmentHeader(payload, offset);
        found.push(header);
        offset += FRAGMENT_HEADER_BYTES + header.blobLength;
        expect(offset).toBeLessThanOrEqual(payload.length);
      }
      return found;
    });
    expect(headers.map((h) => [h.objectId, h.fragmentId, h.start, h.end, h.blobLength])).toEqual([
      [1n, 0n, true, false, 39],
      [1n, 1n, false, true, 11],
      [2n, 0n, true, false, 7],
      [2n, 1n, false, true, 3],
    ]);
  });

  it('writes an empty message as one header-only fragment', () => {
    const [payload] = new Fragmenter().pack([new Uint8Array(0)], 21 + 1);
    expect(payload?.length).toBe(21);
    expect(decodeFragmentHeader(payload ?? new Uint8Array())).toMatchObject({ start: true, end: true, blobLength: 0 });
  });

  it('refuses a payload size that cannot hold a fragment', () => {
    expect(() => new Fragmenter().pack([text('x')], 21)).toThrow(UsageError);
  });

  it('round-trips through the defragmenter for any messages, sizes and cuts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.integer({ min: 22, max: 200 }),
        fc.array(fc.nat(400), { maxLength: 6 }),
        (messages, payloadSize, cuts) => {
          const payloads = new Fragmenter().pack(messages, payloadSize);
          expect(payloads.every((payload) => payload.length <= payloadSize)).toBe(true);
          const stream = Buffer.concat(payloads);
          const defragmenter = new Defragmenter();
          const out: Uint8Array[] = [];
          let previous = 0;
          for (const cut of [...cuts.map((c) => Math.min(c, stream.length)).sort((a, b) => a - b), stream.length]) {
            out.push(...defragmenter.push(stream.subarray(previous, cut)).map((m) => m.data));
            previous = cut;
          }
          expect(defragmenter.atFragmentBoundary).toBe(true);
          expect(defragmenter.bufferedBytes).toBe(0);
          expect(out.map((m) => Buffer.from(m))).toEqual(messages.map((m) => Buffer.from(m)));
        },
      ),
    );
  });
});

describe('envelope budget (PROTOCOL.md §1.10)', () => {
  it('subtracts overhead and 256 bytes of slack, then leaves room for base64', () => {
    // 153600 − 1000 − 256 = 152344 → 38086 quanta of 4 → 114258 raw bytes.
    expect(maxPayloadBytes(INITIAL_MAX_ENVELOPE_SIZE, 1000)).toBe(114_258);
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 10_000_000 }), fc.integer({ min: 0, max: 300 }), (size, overhead) => {
        const payload = maxPayloadBytes(size, overhead);
        const base64Length = Math.ceil(payload / 3) * 4;
        expect(base64Length + overhead + 256).toBeLessThanOrEqual(size);
        expect(base64Length + overhead + 256 + 4).toBeGreaterThan(size);
      }),
    );
  });

  it('refuses an envelope too small for any PSRP data', () => {
    expect(() => maxPayloadBytes(300, 20)).toThrow(UsageError);
    expect(() => maxPayloadBytes(Number.NaN, 20)).toThrow(UsageError);
  });

  it('bounds the blob a peer can send in an envelope', () => {
    expect(maxIncomingBlobBytes(512_000)).toBe(384_000);
  });
});
