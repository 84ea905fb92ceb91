import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/errors';
import type { WebSocketEvent } from './websocket-frames';
import {
  CLOSE_CODE,
  encodeCloseFrame,
  encodeFrame,
  encodeTextFrame,
  OPCODE,
  WebSocketFrameDecoder,
  WebSocketProtocolError,
} from './websocket-frames';

const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
/** A frame as a browser sends it: masked. */
const clientFrame = (opcode: number, payload: Uint8Array | string, fin = true) =>
  encodeFrame(opcode, typeof payload === 'string' ? Buffer.from(payload) : payload, { fin, mask: MASK });

function decodeAll(bytes: Uint8Array, limits?: ConstructorParameters<typeof WebSocketFrameDecoder>[0]) {
  return new WebSocketFrameDecoder(limits).push(bytes);
}

function closeCodeOf(action: () => unknown): number | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof WebSocketProtocolError) return error.closeCode;
    throw error;
  }
  return undefined;
}

describe('WebSocket frame decoder', () => {
  it('unmasks the RFC 6455 §5.7 example ("Hello", masked)', () => {
    const frame = Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    expect(decodeAll(frame)).toEqual([{ type: 'text', text: 'Hello' }]);
  });

  it('reads every length encoding at its boundaries', () => {
    for (const size of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
      const text = 'x'.repeat(size);
      expect(decodeAll(clientFrame(OPCODE.text, text)), `size ${size}`).toEqual([{ type: 'text', text }]);
    }
  });

  it('reassembles a fragmented message, with control frames between its fragments', () => {
    // "é" (c3 a9) and "😀" (f0 9f 98 80) split across frames must decode as one message.
    const bytes = Buffer.from('caf\u00e9 \u{1F600}!', 'utf8');
    const events = decodeAll(
      Buffer.concat([
        clientFrame(OPCODE.text, bytes.subarray(0, 4), false),
        clientFrame(OPCODE.ping, 'are you there'),
        clientFrame(OPCODE.continuation, bytes.subarray(4, 8), false),
        clientFrame(OPCODE.pong, ''),
        clientFrame(OPCODE.continuation, bytes.subarray(8)),
      ]),
    );
    expect(events).toEqual([
      { type: 'ping', payload: Buffer.from('are you there') },
      { type: 'pong', payload: Buffer.alloc(0) },
      { type: 'text', text: 'caf\u00e9 \u{1F600}!' },
    ]);
  });

  it('reads a close frame with and without a status, and ignores what follows it', () => {
    const reason = Buffer.from('bye', 'utf8');
    const payload = Buffer.concat([Buffer.from([0x03, 0xe8]), reason]);
    expect(decodeAll(Buffer.concat([clientFrame(OPCODE.close, payload), clientFrame(OPCODE.text, 'late')]))).toEqual([
      { type: 'close', code: 1000, reason: 'bye' },
    ]);
    const decoder = new WebSocketFrameDecoder();
    expect(decoder.push(clientFrame(OPCODE.close, ''))).toEqual([{ type: 'close', reason: '' }]);
    expect(decoder.push(clientFrame(OPCODE.text, 'late'))).toEqual([]);
  });

  it('waits for a frame split anywhere, and gives the same events', () => {
    const stream = Buffer.concat([
      clientFrame(OPCODE.text, 'first'),
      clientFrame(OPCODE.text, 'y'.repeat(70_000)),
      clientFrame(OPCODE.ping, 'p'),
    ]);
    const whole = decodeAll(stream);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const decoder = new WebSocketFrameDecoder();
        const events: WebSocketEvent[] = [];
        let from = 0;
        for (const cut of [...cuts.sort((a, b) => a - b), stream.length]) {
          events.push(...decoder.push(stream.subarray(from, cut)));
          from = cut;
        }
        expect(events).toEqual(whole);
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  const violations: [string, () => unknown, number][] = [
    ['an unmasked frame', () => decodeAll(encodeTextFrame('hi')), CLOSE_CODE.protocolError],
    ['reserved bits', () => decodeAll(Buffer.from([0xc1, 0x80, 0, 0, 0, 0])), CLOSE_CODE.protocolError],
    ['an unknown opcode', () => decodeAll(clientFrame(0x3, 'x')), CLOSE_CODE.protocolError],
    ['a fragmented ping', () => decodeAll(clientFrame(OPCODE.ping, 'x', false)), CLOSE_CODE.protocolError],
    ['a 126-byte ping', () => decodeAll(clientFrame(OPCODE.ping, 'x'.repeat(126))), CLOSE_CODE.protocolError],
    [
      'a 16-bit length under 126',
      () => decodeAll(Buffer.from([0x81, 0xfe, 0x00, 0x05, 0, 0, 0, 0, 1, 2, 3, 4, 5])),
      CLOSE_CODE.protocolError,
    ],
    [
      'a 64-bit length under 65536',
      () => decodeAll(Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0])),
      CLOSE_CODE.protocolError,
    ],
    [
      'a 64-bit length with its top bit set',
      () => decodeAll(Buffer.from([0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0])),
      CLOSE_CODE.protocolError,
    ],
    ['a binary message', () => decodeAll(clientFrame(OPCODE.binary, 'x')), CLOSE_CODE.unsupportedData],
    ['a stray continuation', () => decodeAll(clientFrame(OPCODE.continuation, 'x')), CLOSE_CODE.protocolError],
    [
      'a new message inside a fragmented one',
      () => decodeAll(Buffer.concat([clientFrame(OPCODE.text, 'a', false), clientFrame(OPCODE.text, 'b')])),
      CLOSE_CODE.protocolError,
    ],
    [
      'invalid UTF-8',
      () => decodeAll(clientFrame(OPCODE.text, Buffer.from([0x68, 0xc3, 0x28]))),
      CLOSE_CODE.invalidPayload,
    ],
    [
      'a message ending inside a UTF-8 sequence',
      () => decodeAll(clientFrame(OPCODE.text, Buffer.from([0x68, 0xf0, 0x9f]))),
      CLOSE_CODE.invalidPayload,
    ],
    [
      'a one-byte close payload',
      () => decodeAll(clientFrame(OPCODE.close, Buffer.from([3]))),
      CLOSE_CODE.protocolError,
    ],
    [
      'close code 1005 on the wire',
      () => decodeAll(clientFrame(OPCODE.close, Buffer.from([0x03, 0xed]))),
      CLOSE_CODE.protocolError,
    ],
    ['close code 999', () => decodeAll(clientFrame(OPCODE.close, Buffer.from([0x03, 0xe7]))), CLOSE_CODE.protocolError],
    [
      'a close reason that is not UTF-8',
      () => decodeAll(clientFrame(OPCODE.close, Buffer.from([0x03, 0xe8, 0xff]))),
      CLOSE_CODE.invalidPayload,
    ],
  ];
  it.each(violations)('refuses %s', (_name, action, code) => {
    expect(closeCodeOf(action)).toBe(code);
  });

  it('refuses a message over the size limit from its header, before the payload arrives', () => {
    const decoder = new WebSocketFrameDecoder({ maxMessageBytes: 1_000, maxFragments: 8 });
    const frame = clientFrame(OPCODE.text, 'z'.repeat(1_001));
    expect(closeCodeOf(() => decoder.push(frame.subarray(0, 8)))).toBe(CLOSE_CODE.messageTooBig);
    expect(
      closeCodeOf(() =>
        decodeAll(Buffer.concat([clientFrame(OPCODE.text, 'z'.repeat(600), false), clientFrame(0, 'z'.repeat(401))]), {
          maxMessageBytes: 1_000,
          maxFragments: 8,
        }),
      ),
    ).toBe(CLOSE_CODE.messageTooBig);
    expect(
      decodeAll(clientFrame(OPCODE.text, 'z'.repeat(1_000)), { maxMessageBytes: 1_000, maxFragments: 8 }),
    ).toHaveLength(1);
    // A declared length of 2^40 is refused as too big, not allocated.
    expect(closeCodeOf(() => decodeAll(Buffer.from([0x81, 0xff, 0, 0, 1, 0, 0, 0, 0, 0])))).toBe(
      CLOSE_CODE.messageTooBig,
    );
  });

  it('refuses a message split into more fragments than allowed', () => {
    const limits = { maxMessageBytes: 1_000, maxFragments: 3 };
    const fragments = [clientFrame(OPCODE.text, 'a', false), clientFrame(0, 'b', false), clientFrame(0, 'c', false)];
    expect(closeCodeOf(() => decodeAll(Buffer.concat([...fragments, clientFrame(0, 'd')]), limits))).toBe(
      CLOSE_CODE.policyViolation,
    );
    expect(decodeAll(Buffer.concat([...fragments.slice(0, 2), clientFrame(0, 'c')]), limits)).toEqual([
      { type: 'text', text: 'abc' },
    ]);
  });

  it('decodes any text message however it is fragmented, masked and delivered', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 300 }), { minLength: 1, maxLength: 5 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 97 }),
        (messages, mask, fragmentSize, chunkSize) => {
          const frames: Buffer[] = [];
          for (const message of messages) {
            const bytes = Buffer.from(message, 'utf8');
            const pieces: Buffer[] = [];
            for (let offset = 0; offset < bytes.length; offset += fragmentSize) {
              pieces.push(bytes.subarray(offset, offset + fragmentSize));
            }
            if (pieces.length === 0) pieces.push(Buffer.alloc(0));
            pieces.forEach((piece, index) =>
              frames.push(
                encodeFrame(index === 0 ? OPCODE.text : OPCODE.continuation, piece, {
                  fin: index === pieces.length - 1,
                  mask,
                }),
              ),
            );
          }
          const stream = Buffer.concat(frames);
          const decoder = new WebSocketFrameDecoder();
          const events: WebSocketEvent[] = [];
          for (let offset = 0; offset < stream.length; offset += chunkSize) {
            events.push(...decoder.push(stream.subarray(offset, offset + chunkSize)));
          }
          expect(events).toEqual(messages.map((text) => ({ type: 'text', text })));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('on arbitrary bytes yields events or a typed protocol error, with bounded buffering', () => {
    const limits = { maxMessageBytes: 4_096, maxFragments: 16 };
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const decoder = new WebSocketFrameDecoder(limits);
        for (const chunk of chunks) {
          try {
            decoder.push(chunk);
          } catch (error) {
            expect(error).toBeInstanceOf(WebSocketProtocolError);
            expect(error).toBeInstanceOf(ProtocolError);
            expect(decoder.push(chunk)).toEqual([]);
            return;
          }
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(limits.maxMessageBytes + 14 + 300);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('WebSocket frame encoder', () => {
  it('writes unmasked server frames with the shortest length encoding', () => {
    expect(encodeTextFrame('hi')).toEqual(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    expect(encodeTextFrame('a'.repeat(126)).subarray(0, 4)).toEqual(Buffer.from([0x81, 0x7e, 0x00, 0x7e]));
    expect(encodeTextFrame('a'.repeat(65_536)).subarray(0, 10)).toEqual(
      Buffer.from([0x81, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]),
    );
  });

  it('writes a close frame with its code and a reason cut on a character boundary to fit 125 bytes', () => {
    expect(encodeCloseFrame(1000)).toEqual(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
    const frame = encodeCloseFrame(CLOSE_CODE.policyViolation, '\u00e9'.repeat(100));
    expect(frame[1]).toBe(2 + 122);
    expect(frame.readUInt16BE(2)).toBe(1008);
    expect(frame.subarray(4).toString('utf8')).toBe('\u00e9'.repeat(61));
  });

  it('round-trips through the decoder when masked as a client would', () => {
    const frame = encodeFrame(OPCODE.close, encodeCloseFrame(4001, 'done').subarray(2), { mask: MASK });
    expect(decodeAll(frame)).toEqual([{ type: 'close', code: 4001, reason: 'done' }]);
  });
});
