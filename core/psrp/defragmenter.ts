import { UsageError } from '../errors';
import {
  concatBytes,
  decodeFragmentHeader,
  FRAGMENT_HEADER_BYTES,
  FragmentError,
  type FragmentHeader,
} from './fragment';

export interface DefragmenterLimits {
  /**
   * Largest blob one fragment may claim. A fragment arrives inside one WS-Man envelope, so set it
   * from the negotiated MaxEnvelopeSize (a blob never exceeds 3/4 of it after base64).
   */
  readonly maxFragmentBlobBytes: number;
  /** Largest reassembled message, and the most bytes all partial messages together may hold. */
  readonly maxMessageBytes: number;
  /** Most messages that may be partially received at once (they are told apart by ObjectId). */
  readonly maxPendingMessages: number;
}

export const DEFAULT_DEFRAGMENTER_LIMITS: DefragmenterLimits = {
  maxFragmentBlobBytes: 4 * 1024 * 1024,
  maxMessageBytes: 64 * 1024 * 1024,
  maxPendingMessages: 16,
};

export interface ReassembledMessage {
  readonly objectId: bigint;
  /** The serialized PSRP message (see message.ts). */
  readonly data: Uint8Array;
}

interface PendingMessage {
  readonly parts: Uint8Array[];
  size: number;
  nextFragmentId: bigint;
}

/**
 * Streaming reassembly of PSRP messages from fragment bytes cut anywhere (even inside a header).
 * Fragments of one message must come in ascending FragmentId from 0, the first with S and only the
 * last with E (MS-PSRP 3.1.5.1.2); fragments of different messages may interleave.
 *
 * Memory is bounded by the limits, checked on each header before any blob byte is stored: a
 * fragment that claims 4 GiB is refused on its 21 header bytes. Any violation throws FragmentError
 * and leaves the defragmenter failed: the stream can no longer be trusted.
 */
export class Defragmenter {
  readonly #limits: DefragmenterLimits;
  readonly #header = new Uint8Array(FRAGMENT_HEADER_BYTES);
  #headerFilled = 0;
  /** The fragment whose blob is being read, once its header is complete and accepted. */
  #fragment: { readonly header: FragmentHeader; readonly message: PendingMessage; remaining: number } | undefined;
  readonly #pending = new Map<bigint, PendingMessage>();
  #bufferedBytes = 0;
  #failure: FragmentError | undefined;

  constructor(limits: Partial<DefragmenterLimits> = {}) {
    this.#limits = { ...DEFAULT_DEFRAGMENTER_LIMITS, ...limits };
  }

  /** Bytes currently held for partial messages. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** True when no fragment is half read: WS-Man payloads must end on such a boundary. */
  get atFragmentBoundary(): boolean {
    return this.#headerFilled === 0 && this.#fragment === undefined;
  }

  /** Consumes `chunk` and returns the messages it completed, in completion order. */
  push(chunk: Uint8Array): ReassembledMessage[] {
    if (this.#failure !== undefined) {
      throw new UsageError(`the defragmenter failed earlier and cannot continue: ${this.#failure.message}`);
    }
    try {
      return this.#consume(chunk);
    } catch (error) {
      if (error instanceof FragmentError) this.#failure = error;
      throw error;
    }
  }

  /** Throws FragmentError when the input ended inside a fragment (a WS-Man payload was cut short). */
  assertFragmentBoundary(): void {
    if (!this.atFragmentBoundary) throw new FragmentError('the payload ended inside a fragment');
  }

  #consume(chunk: Uint8Array): ReassembledMessage[] {
    const completed: ReassembledMessage[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#fragment === undefined) {
        const take = Math.min(FRAGMENT_HEADER_BYTES - this.#headerFilled, chunk.length - offset);
        this.#header.set(chunk.subarray(offset, offset + take), this.#headerFilled);
        this.#headerFilled += take;
        offset += take;
        if (this.#headerFilled < FRAGMENT_HEADER_BYTES) break;
        this.#headerFilled = 0;
        this.#fragment = this.#accept(decodeFragmentHeader(this.#header));
      } else {
        const take = Math.min(this.#fragment.remaining, chunk.length - offset);
        this.#fragment.message.parts.push(chunk.slice(offset, offset + take));
        this.#fragment.remaining -= take;
        offset += take;
      }
      // A fragment completes here, also one with an empty blob right after its header.
      if (this.#fragment.remaining === 0) {
        const message = this.#finishFragment(this.#fragment.header, this.#fragment.message);
        if (message !== undefined) completed.push(message);
        this.#fragment = undefined;
      }
    }
    return completed;
  }

  /** Checks a header against the order rules and the limits, and reserves room for its blob. */
  #accept(header: FragmentHeader): { header: FragmentHeader; message: PendingMessage; remaining: number } {
    const limits = this.#limits;
    const id = `ObjectId ${header.objectId} FragmentId ${header.fragmentId}`;
    if (header.blobLength > limits.maxFragmentBlobBytes) {
      throw new FragmentError(`${id} claims ${header.blobLength} bytes, more than ${limits.maxFragmentBlobBytes}`);
    }
    let message = this.#pending.get(header.objectId);
    if (header.start) {
      if (header.fragmentId !== 0n) throw new FragmentError(`${id} has the start flag but is not fragment 0`);
      if (message !== undefined) throw new FragmentError(`${id} starts a message that is already in progress`);
      if (this.#pending.size >= limits.maxPendingMessages) {
        throw new FragmentError(`${id} would exceed ${limits.maxPendingMessages} partial messages`);
      }
      message = { parts: [], size: 0, nextFragmentId: 0n };
      this.#pending.set(header.objectId, message);
    } else if (message === undefined) {
      throw new FragmentError(`${id} continues a message that never started`);
    } else if (header.fragmentId !== message.nextFragmentId) {
      throw new FragmentError(`${id} is out of order: expected FragmentId ${message.nextFragmentId}`);
    }
    if (message.size + header.blobLength > limits.maxMessageBytes) {
      throw new FragmentError(`${id} grows the message beyond ${limits.maxMessageBytes} bytes`);
    }
    if (this.#bufferedBytes + header.blobLength > limits.maxMessageBytes) {
      throw new FragmentError(`${id} would buffer more than ${limits.maxMessageBytes} bytes of partial messages`);
    }
    message.size += header.blobLength;
    this.#bufferedBytes += header.blobLength;
    return { header, message, remaining: header.blobLength };
  }

  #finishFragment(header: FragmentHeader, message: PendingMessage): ReassembledMessage | undefined {
    message.nextFragmentId = header.fragmentId + 1n;
    if (!header.end) return undefined;
    this.#pending.delete(header.objectId);
    this.#bufferedBytes -= message.size;
    return { objectId: header.objectId, data: concatBytes(message.parts, message.size) };
  }
}
