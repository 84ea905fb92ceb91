import { Buffer } from 'node:buffer';
import { ProtocolError } from '../../core/errors';

/**
 * RFC 6455 framing, server side, sans-IO: bytes from the browser in, events out; events to frames.
 * Only what the contract needs is accepted — text messages (fragmented or not), ping, pong, close — and
 * every rule a server must enforce is: client frames masked, no extension bits, control frames short and
 * unfragmented, minimal length encoding, valid UTF-8, a bounded message size and fragment count. A
 * violation is a WebSocketProtocolError carrying the close code to answer with.
 */

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export const CLOSE_CODE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
} as const;

/** The peer broke RFC 6455 or our limits; close the connection with `closeCode`. */
export class WebSocketProtocolError extends ProtocolError {
  override readonly name = 'WebSocketProtocolError';

  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

export type WebSocketEvent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'ping'; readonly payload: Uint8Array }
  | { readonly type: 'pong'; readonly payload: Uint8Array }
  /** `code` is absent when the close frame had no payload (RFC 6455 §7.1.5: 1005). */
  | { readonly type: 'close'; readonly code?: number; readonly reason: string };

export interface FrameLimits {
  /** The largest text message, in bytes of UTF-8, after reassembly. */
  readonly maxMessageBytes: number;
  readonly maxFragments: number;
}

export const DEFAULT_FRAME_LIMITS: FrameLimits = { maxMessageBytes: 16 * 1024 * 1024, maxFragments: 1024 };

const MAX_CONTROL_PAYLOAD = 125;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reassembles the client's frames. Holds at most one frame header plus `maxMessageBytes` of payload:
 * a frame whose declared length would exceed the limit is refused before its payload arrives. After a
 * close frame or an error, further bytes are ignored.
 */
export class WebSocketFrameDecoder {
  /** Received bytes not yet parsed, in arrival order; merged only as far as a parse step needs. */
  #chunks: Buffer[] = [];
  #available = 0;
  #fragments: Buffer[] = [];
  #fragmentBytes = 0;
  #inMessage = false;
  #finished = false;

  constructor(private readonly limits: FrameLimits = DEFAULT_FRAME_LIMITS) {}

  /** Bytes buffered while waiting for the rest of a frame or message (for bounds checks). */
  get bufferedBytes(): number {
    return this.#available + this.#fragmentBytes;
  }

  push(bytes: Uint8Array): WebSocketEvent[] {
    if (this.#finished || bytes.length === 0) return [];
    this.#chunks.push(Buffer.from(bytes));
    this.#available += bytes.length;
    const events: WebSocketEvent[] = [];
    try {
      for (;;) {
        const frame = this.#nextFrame();
        if (frame === undefined) break;
        const event = this.#handle(frame);
        if (event === undefined) continue;
        events.push(event);
        if (event.type === 'close') {
          this.#finish();
          break;
        }
      }
    } catch (error) {
      this.#finish();
      throw error;
    }
    return events;
  }

  #finish(): void {
    this.#finished = true;
    this.#chunks = [];
    this.#available = 0;
    this.#fragments = [];
    this.#fragmentBytes = 0;
  }

  /** The first `length` bytes as one buffer (merging the fewest chunks), or undefined until they arrived. */
  #front(length: number): Buffer | undefined {
    if (this.#available < length) return undefined;
    let merged = this.#chunks[0] as Buffer;
    if (merged.length < length) {
      let count = 1;
      let size = merged.length;
      while (size < length) size += (this.#chunks[count++] as Buffer).length;
      merged = Buffer.concat(this.#chunks.slice(0, count), size);
      this.#chunks.splice(0, count, merged);
    }
    return merged;
  }

  #consume(length: number): void {
    const first = this.#chunks[0] as Buffer;
    if (first.length === length) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(length);
    this.#available -= length;
  }

  #nextFrame(): { fin: boolean; opcode: number; payload: Buffer } | undefined {
    const start = this.#front(2);
    if (start === undefined) return undefined;
    const first = start[0] as number;
    const second = start[1] as number;
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    if ((first & 0x70) !== 0) throw protocolError('reserved bits set without a negotiated extension');
    if ((second & 0x80) === 0) throw protocolError('a client frame is not masked');
    const isControl = (opcode & 0x08) !== 0;
    if (!Object.values(OPCODE).includes(opcode as never)) throw protocolError(`unknown opcode ${opcode}`);
    if (isControl && !fin) throw protocolError('a control frame is fragmented');

    let length = second & 0x7f;
    let maskOffset = 2;
    if (length === 126) {
      const header = this.#front(4);
      if (header === undefined) return undefined;
      length = header.readUInt16BE(2);
      if (length < 126) throw protocolError('a frame length is not minimally encoded');
      maskOffset = 4;
    } else if (length === 127) {
      const header = this.#front(10);
      if (header === undefined) return undefined;
      const high = header.readUInt32BE(2);
      const low = header.readUInt32BE(6);
      if (high >= 0x80000000) throw protocolError('a 64-bit frame length has its most significant bit set');
      if (high === 0 && low <= 0xffff) throw protocolError('a frame length is not minimally encoded');
      // Anything from 2^32 on is over every limit we accept; below it the number is exact.
      length = high > 0 ? Number.POSITIVE_INFINITY : low;
      maskOffset = 10;
    }
    if (isControl && length > MAX_CONTROL_PAYLOAD) throw protocolError('a control frame is longer than 125 bytes');
    if (!isControl && this.#fragmentBytes + length > this.limits.maxMessageBytes) {
      throw new WebSocketProtocolError(
        CLOSE_CODE.messageTooBig,
        `a message is larger than ${this.limits.maxMessageBytes} bytes`,
      );
    }
    const payloadOffset = maskOffset + 4;
    const bytes = this.#front(payloadOffset + length);
    if (bytes === undefined) return undefined;
    const payload = Buffer.alloc(length);
    for (let index = 0; index < length; index++) {
      payload[index] = (bytes[payloadOffset + index] as number) ^ (bytes[maskOffset + (index & 3)] as number);
    }
    this.#consume(payloadOffset + length);
    return { fin, opcode, payload };
  }

  #handle(frame: { fin: boolean; opcode: number; payload: Buffer }): WebSocketEvent | undefined {
    switch (frame.opcode) {
      case OPCODE.ping:
        return { type: 'ping', payload: frame.payload };
      case OPCODE.pong:
        return { type: 'pong', payload: frame.payload };
      case OPCODE.close:
        return closeEvent(frame.payload);
      case OPCODE.binary:
        throw new WebSocketProtocolError(CLOSE_CODE.unsupportedData, 'binary messages are not accepted');
      case OPCODE.text:
        if (this.#inMessage) throw protocolError('a new message started before the previous one ended');
        this.#inMessage = true;
        break;
      case OPCODE.continuation:
        if (!this.#inMessage) throw protocolError('a continuation frame outside a message');
        break;
    }
    if (this.#fragments.length >= this.limits.maxFragments) {
      throw new WebSocketProtocolError(
        CLOSE_CODE.policyViolation,
        `a message is split into more than ${this.limits.maxFragments} frames`,
      );
    }
    this.#fragments.push(frame.payload);
    this.#fragmentBytes += frame.payload.length;
    if (!frame.fin) return undefined;
    const message = Buffer.concat(this.#fragments);
    this.#fragments = [];
    this.#fragmentBytes = 0;
    this.#inMessage = false;
    return { type: 'text', text: decodeUtf8(message, 'a text message') };
  }
}

function closeEvent(payload: Buffer): WebSocketEvent {
  if (payload.length === 0) return { type: 'close', reason: '' };
  if (payload.length === 1) throw protocolError('a close frame has a one-byte payload');
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCode(code)) throw protocolError(`close code ${code} may not be sent`);
  return { type: 'close', code, reason: decodeUtf8(payload.subarray(2), 'a close reason') };
}

/** RFC 6455 §7.4: the codes an endpoint may put on the wire. */
function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999);
}

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WebSocketProtocolError(CLOSE_CODE.invalidPayload, `${what} is not valid UTF-8`);
  }
}

function protocolError(message: string): WebSocketProtocolError {
  return new WebSocketProtocolError(CLOSE_CODE.protocolError, message);
}

/**
 * One frame. Server frames are never masked; `mask` exists for clients (our tests play the browser).
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  options: { readonly fin?: boolean; readonly mask?: Uint8Array } = {},
): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length <= 0xffff ? 2 : 8;
  const maskBytes = options.mask === undefined ? 0 : 4;
  const frame = Buffer.alloc(2 + lengthBytes + maskBytes + length);
  frame[0] = (options.fin === false ? 0 : 0x80) | opcode;
  frame[1] = (maskBytes > 0 ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) frame.writeUInt16BE(length, 2);
  if (lengthBytes === 8) frame.writeBigUInt64BE(BigInt(length), 2);
  const payloadOffset = 2 + lengthBytes + maskBytes;
  if (options.mask === undefined) {
    frame.set(payload, payloadOffset);
  } else {
    frame.set(options.mask.subarray(0, 4), 2 + lengthBytes);
    for (let index = 0; index < length; index++) {
      frame[payloadOffset + index] = (payload[index] as number) ^ (options.mask[index & 3] as number);
    }
  }
  return frame;
}

export function encodeTextFrame(text: string): Buffer {
  return encodeFrame(OPCODE.text, Buffer.from(text, 'utf8'));
}

/** A close frame with `code` and a reason cut to fit the 125-byte control payload. */
export function encodeCloseFrame(code: number, reason = ''): Buffer {
  let reasonBytes = Buffer.from(reason, 'utf8');
  if (reasonBytes.length > MAX_CONTROL_PAYLOAD - 2) {
    // Cut on a character boundary, never inside a UTF-8 sequence.
    let text = reason;
    while (Buffer.byteLength(text, 'utf8') > MAX_CONTROL_PAYLOAD - 2) text = [...text].slice(0, -1).join('');
    reasonBytes = Buffer.from(text, 'utf8');
  }
  const payload = Buffer.alloc(2 + reasonBytes.length);
  payload.writeUInt16BE(code, 0);
  payload.set(reasonBytes, 2);
  return encodeFrame(OPCODE.close, payload);
}
