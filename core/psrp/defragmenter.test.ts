import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UsageError } from '../errors';
import { Defragmenter } from './defragmenter';
import { encodeFragment, FragmentError, Fragmenter } from './fragment';

const fragment = (objectId: bigint, fragmentId: bigint, start: boolean, end: boolean, blob: string): Uint8Array =>
  encodeFragment({ objectId, fragmentId, start, end }, new Uint8Array(Buffer.from(blob)));
const ascii = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/** A 21-byte header claiming `blobLength`, bypassing encodeFragment's own length. */
function headerClaiming(blobLength: number, objectId = 1n): Uint8Array {
  const bytes = fragment(objectId, 0n, true, true, '');
  new DataView(bytes.buffer).setUint32(17, blobLength);
  return bytes;
}

describe('Defragmenter', () => {
  it('reassembles a message cut byte by byte, headers included', () => {
    const stream = Buffer.concat([fragment(1n, 0n, true, false, 'hel'), fragment(1n, 1n, false, true, 'lo')]);
    const defragmenter = new Defragmenter();
    const out = [...stream].flatMap((byte) => defragmenter.push(Uint8Array.of(byte)));
    expect(out.map((m) => [m.objectId, ascii(m.data)])).toEqual([[1n, 'hello']]);
    expect(defragmenter.atFragmentBoundary).toBe(true);
  });

  it('accepts interleaved messages and reports them in completion order', () => {
    const out = new Defragmenter().push(
      Buffer.concat([
        fragment(5n, 0n, true, false, 'a1'),
        fragment(6n, 0n, true, true, 'b'),
        fragment(5n, 1n, false, true, 'a2'),
      ]),
    );
    expect(out.map((m) => [m.objectId, ascii(m.data)])).toEqual([
      [6n, 'b'],
      [5n, 'a1a2'],
    ]);
  });

  it.each([
    ['a continuation without a start', [fragment(1n, 1n, false, true, 'x')]],
    ['a start flag on fragment 1', [fragment(1n, 1n, true, true, 'x')]],
    ['fragment 0 without the start flag', [fragment(1n, 0n, false, true, 'x')]],
    ['a skipped FragmentId', [fragment(1n, 0n, true, false, 'x'), fragment(1n, 2n, false, true, 'y')]],
    ['a duplicate fragment', [fragment(1n, 0n, true, false, 'x'), fragment(1n, 0n, false, false, 'x')]],
    ['a second start of a pending message', [fragment(1n, 0n, true, false, 'x'), fragment(1n, 0n, true, true, 'x')]],
    ['reserved flag bits', [Uint8Array.from(fragment(1n, 0n, true, true, 'x'), (b, i) => (i === 16 ? 0x83 : b))]],
  ])('rejects %s', (_, fragments) => {
    expect(() => new Defragmenter().push(Buffer.concat(fragments))).toThrow(FragmentError);
  });

  it('refuses a 4 GiB claim on its header, before storing any blob byte', () => {
    const defragmenter = new Defragmenter({ maxFragmentBlobBytes: 1024 });
    expect(() => defragmenter.push(headerClaiming(0xffff_ffff))).toThrow(/claims 4294967295 bytes/);
    expect(defragmenter.bufferedBytes).toBe(0);
  });

  it('bounds a message and all partial messages together', () => {
    const limits = { maxFragmentBlobBytes: 100, maxMessageBytes: 150, maxPendingMessages: 4 };
    const tooLong = new Defragmenter(limits);
    tooLong.push(fragment(1n, 0n, true, false, 'x'.repeat(100)));
    expect(tooLong.bufferedBytes).toBe(100);
    expect(() => tooLong.push(fragment(1n, 1n, false, true, 'x'.repeat(51)))).toThrow(/beyond 150 bytes/);

    const tooMuch = new Defragmenter(limits);
    tooMuch.push(fragment(1n, 0n, true, false, 'x'.repeat(100)));
    expect(() => tooMuch.push(fragment(2n, 0n, true, false, 'x'.repeat(51)))).toThrow(/partial messages/);

    const tooMany = new Defragmenter(limits);
    tooMany.push(Buffer.concat([1n, 2n, 3n, 4n].map((id) => fragment(id, 0n, true, false, ''))));
    expect(() => tooMany.push(fragment(5n, 0n, true, false, ''))).toThrow(/exceed 4 partial messages/);
  });

  it('stays failed after a protocol error', () => {
    const defragmenter = new Defragmenter();
    expect(() => defragmenter.push(fragment(1n, 3n, false, true, 'x'))).toThrow(FragmentError);
    expect(() => defragmenter.push(fragment(1n, 0n, true, true, 'x'))).toThrow(UsageError);
  });

  it('tells when a payload ended inside a fragment', () => {
    const defragmenter = new Defragmenter();
    defragmenter.push(fragment(1n, 0n, true, true, 'abc').subarray(0, 22));
    expect(defragmenter.atFragmentBoundary).toBe(false);
    expect(() => defragmenter.assertFragmentBoundary()).toThrow(FragmentError);
  });

  it('on random bytes and mutated streams only completes messages or throws FragmentError, within its limits', () => {
    const limits = { maxFragmentBlobBytes: 512, maxMessageBytes: 2048, maxPendingMessages: 8 };
    const valid = Buffer.concat(
      new Fragmenter().pack(
        Array.from({ length: 6 }, (_, i) => new Uint8Array(40 * i).fill(i)),
        60,
      ),
    );
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc
        .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })
        .map((mutations) => {
          const copy = Uint8Array.from(valid);
          for (const [index, value] of mutations) copy[index] = value;
          return copy;
        }),
    );
    fc.assert(
      fc.property(input, fc.array(fc.nat(700), { maxLength: 5 }), (bytes, cuts) => {
        const defragmenter = new Defragmenter(limits);
        let previous = 0;
        try {
          for (const cut of [...cuts.map((c) => Math.min(c, bytes.length)).sort((a, b) => a - b), bytes.length]) {
            for (const message of defragmenter.push(bytes.subarray(previous, cut))) {
              expect(message.data.length).toBeLessThanOrEqual(limits.maxMessageBytes);
            }
            expect(defragmenter.bufferedBytes).toBeLessThanOrEqual(limits.maxMessageBytes);
            previous = cut;
          }
        } catch (error) {
          expect(error).toBeInstanceOf(FragmentError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
