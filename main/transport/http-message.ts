import { Buffer } from 'node:buffer';
import { ProtocolError, UsageError } from '../../core/errors';

/**
 * The HTTP/1.1 of one WinRM connection (RFC 9112), kept apart from sockets so it can be tested alone:
 * a request head writer and an incremental response reader. We only ever POST, never pipeline, and send
 * `Accept-Encoding: identity`, so the reader accepts exactly one response (after any 1xx) per request and
 * no content coding.
 */

/** The server's bytes are not HTTP/1.1, or break a limit we set. */
export class MalformedHttpResponseError extends ProtocolError {
  override readonly name = 'MalformedHttpResponseError';
}

/** Header fields in the order received; names compare case-insensitively. */
export class HttpHeaders {
  readonly #fields: readonly (readonly [name: string, value: string])[];

  constructor(fields: readonly (readonly [name: string, value: string])[]) {
    this.#fields = fields;
  }

  /** The first value of `name`. */
  get(name: string): string | undefined {
    const wanted = name.toLowerCase();
    return this.#fields.find(([field]) => field.toLowerCase() === wanted)?.[1];
  }

  /** Every value of `name`, one per field line (a repeated header such as WWW-Authenticate). */
  getAll(name: string): string[] {
    const wanted = name.toLowerCase();
    return this.#fields.filter(([field]) => field.toLowerCase() === wanted).map(([, value]) => value);
  }

  entries(): readonly (readonly [name: string, value: string])[] {
    return this.#fields;
  }
}

export interface HttpResponse {
  readonly status: number;
  readonly reason: string;
  readonly headers: HttpHeaders;
  readonly body: Uint8Array;
  /** Whether the connection may carry another request after this response. */
  readonly keepAlive: boolean;
}

export interface HttpRequestHead {
  readonly method: 'POST';
  /** Path and query, e.g. `/wsman`. */
  readonly target: string;
  readonly headers: readonly (readonly [name: string, value: string])[];
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The request line and header block, ending with the empty line. */
export function formatRequestHead(head: HttpRequestHead): Uint8Array {
  if (!/^\/[\x21-\x7e]*$/.test(head.target))
    throw new UsageError(`invalid request target ${JSON.stringify(head.target)}`);
  let text = `${head.method} ${head.target} HTTP/1.1\r\n`;
  for (const [name, value] of head.headers) {
    // A CR or LF in a value would let it smuggle header lines (credentials come from users).
    if (!TOKEN.test(name) || /[\r\n\0]/.test(value))
      throw new UsageError(`invalid header field ${JSON.stringify(name)}`);
    text += `${name}: ${value}\r\n`;
  }
  return Buffer.from(`${text}\r\n`, 'latin1');
}

export interface ResponseLimits {
  /** Status line plus header fields. */
  readonly maxHeadBytes: number;
  readonly maxBodyBytes: number;
}

type Framing =
  | { readonly kind: 'length'; remaining: number }
  | { readonly kind: 'chunked'; state: 'size' | 'data' | 'data-end' | 'trailer'; remaining: number }
  | { readonly kind: 'until-close' };

interface Head {
  readonly status: number;
  readonly reason: string;
  readonly headers: HttpHeaders;
  readonly keepAlive: boolean;
}

/**
 * Reads one response from the bytes of a connection. `push` returns the response once complete (bytes after
 * it are a protocol error: the server answered something we did not ask); `end` reports the peer's close and
 * returns a close-delimited response, or throws if the response was cut short.
 */
export class HttpResponseReader {
  #pending: Buffer = Buffer.alloc(0);
  #head: Head | undefined;
  #framing: Framing | undefined;
  #body: Buffer[] = [];
  #bodyBytes = 0;
  #done = false;
  #received = 0;

  constructor(private readonly limits: ResponseLimits) {}

  /** Bytes of this response received so far (0: the server has not begun to answer). */
  get receivedBytes(): number {
    return this.#received;
  }

  push(chunk: Uint8Array): HttpResponse | undefined {
    if (this.#done) throw new MalformedHttpResponseError('the server sent bytes after the complete response');
    this.#received += chunk.length;
    this.#pending = this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    for (;;) {
      if (this.#head === undefined) {
        if (!this.#readHead()) return undefined;
        continue;
      }
      const framing = this.#framing!;
      if (framing.kind === 'length') {
        const take = Math.min(framing.remaining, this.#pending.length);
        this.#appendBody(this.#pending.subarray(0, take));
        this.#pending = this.#pending.subarray(take);
        framing.remaining -= take;
        if (framing.remaining > 0) return undefined;
        return this.#finish();
      }
      if (framing.kind === 'until-close') {
        this.#appendBody(this.#pending);
        this.#pending = Buffer.alloc(0);
        return undefined;
      }
      if (!this.#readChunked(framing)) return undefined;
      return this.#finish();
    }
  }

  /** The peer closed the connection: a close-delimited response ends here, any other is truncated. */
  end(): HttpResponse {
    if (this.#head !== undefined && this.#framing?.kind === 'until-close') {
      this.#appendBody(this.#pending);
      return this.#finish();
    }
    throw new MalformedHttpResponseError(
      this.#received === 0
        ? 'the server closed the connection without answering'
        : `the server closed the connection in the middle of its response (after ${this.#received} bytes)`,
    );
  }

  #finish(): HttpResponse {
    if (this.#pending.length > 0) {
      throw new MalformedHttpResponseError('the server sent bytes after the complete response');
    }
    this.#done = true;
    const head = this.#head!;
    return {
      ...head,
      keepAlive: head.keepAlive && this.#framing?.kind !== 'until-close',
      body: new Uint8Array(Buffer.concat(this.#body)),
    };
  }

  #appendBody(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#bodyBytes += bytes.length;
    if (this.#bodyBytes > this.limits.maxBodyBytes) {
      throw new MalformedHttpResponseError(`the response body exceeds ${this.limits.maxBodyBytes} bytes`);
    }
    this.#body.push(bytes);
  }

  /** Consumes one head (skipping interim 1xx responses); false when more bytes are needed. */
  #readHead(): boolean {
    const split = splitResponseHead(this.#pending, this.limits.maxHeadBytes);
    if (split === undefined) return false;
    const { head, rest } = split;
    this.#pending = rest;
    const { status, headers } = head;
    if (status < 200) return true; // 100 Continue and friends: the real response follows
    const connection = (headers.get('connection') ?? '').toLowerCase();
    const keepAlive = head.minorVersion === 1 ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    this.#head = { status, reason: head.reason, headers, keepAlive };
    const framing = framingOf(status, headers);
    if (framing.kind === 'length' && framing.remaining > this.limits.maxBodyBytes) {
      throw new MalformedHttpResponseError(
        `the response announces ${framing.remaining} bytes, more than the limit of ${this.limits.maxBodyBytes}`,
      );
    }
    this.#framing = framing;
    return true;
  }

  /** Advances through chunk-size lines, chunk data and the trailer; true once the last chunk is read. */
  #readChunked(framing: Extract<Framing, { kind: 'chunked' }>): boolean {
    for (;;) {
      if (framing.state === 'data') {
        const take = Math.min(framing.remaining, this.#pending.length);
        this.#appendBody(this.#pending.subarray(0, take));
        this.#pending = this.#pending.subarray(take);
        framing.remaining -= take;
        if (framing.remaining > 0) return false;
        framing.state = 'data-end';
        continue;
      }
      const lineEnd = this.#pending.indexOf('\r\n');
      if (lineEnd < 0) {
        if (this.#pending.length > this.limits.maxHeadBytes) {
          throw new MalformedHttpResponseError('a chunk-size or trailer line is too long');
        }
        return false;
      }
      const line = this.#pending.subarray(0, lineEnd).toString('latin1');
      this.#pending = this.#pending.subarray(lineEnd + 2);
      if (framing.state === 'data-end') {
        if (line !== '') throw new MalformedHttpResponseError('chunk data is longer than its size');
        framing.state = 'size';
      } else if (framing.state === 'size') {
        const size = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;.*)?$/.exec(line);
        if (size === null)
          throw new MalformedHttpResponseError(`invalid chunk size line ${JSON.stringify(line.slice(0, 40))}`);
        framing.remaining = parseInt(size[1]!, 16);
        if (this.#bodyBytes + framing.remaining > this.limits.maxBodyBytes) {
          throw new MalformedHttpResponseError(`the response body exceeds ${this.limits.maxBodyBytes} bytes`);
        }
        framing.state = framing.remaining === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        return true; // the empty line that ends the (ignored) trailer section
      }
    }
  }
}

/** A status line and its header fields, without the body. */
export interface ResponseHead {
  /** HTTP/1.0 or HTTP/1.1. */
  readonly minorVersion: 0 | 1;
  readonly status: number;
  readonly reason: string;
  readonly headers: HttpHeaders;
}

/**
 * The response head at the start of `bytes` and the bytes after it; undefined while its end has not arrived.
 * Throws MalformedHttpResponseError for a head longer than `maxHeadBytes` (so a peer that never ends its head
 * cannot make us buffer without bound) and for anything that is not an HTTP/1.x status line and header fields.
 */
export function splitResponseHead(
  bytes: Buffer,
  maxHeadBytes: number,
): { readonly head: ResponseHead; readonly rest: Buffer } | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end > maxHeadBytes || (end < 0 && bytes.length > maxHeadBytes)) {
    throw new MalformedHttpResponseError(`the response head exceeds ${maxHeadBytes} bytes`);
  }
  if (end < 0) return undefined;
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) ([1-5]\d\d)(?: (.*))?$/.exec(lines[0]!);
  if (statusLine === null) {
    throw new MalformedHttpResponseError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
  }
  return {
    head: {
      minorVersion: statusLine[1] === '1' ? 1 : 0,
      status: Number(statusLine[2]),
      reason: statusLine[3] ?? '',
      headers: new HttpHeaders(parseFields(lines.slice(1))),
    },
    rest: bytes.subarray(end + 4),
  };
}

function parseFields(lines: readonly string[]): [string, string][] {
  const fields: [string, string][] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      // obs-fold (RFC 9112 §5.2): a continuation of the previous value.
      const previous = fields.at(-1);
      if (previous === undefined) throw new MalformedHttpResponseError('a header continuation line comes first');
      previous[1] = `${previous[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name))
      throw new MalformedHttpResponseError(`invalid header line ${JSON.stringify(line.slice(0, 80))}`);
    fields.push([name, line.slice(colon + 1).trim()]);
  }
  return fields;
}

function framingOf(status: number, headers: HttpHeaders): Framing {
  if (status === 204 || status === 304) return { kind: 'length', remaining: 0 };
  const coding = (headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (coding !== 'identity' && coding !== '') {
    throw new MalformedHttpResponseError(`the response uses content coding ${coding} although we asked for identity`);
  }
  const transfer = headers
    .getAll('transfer-encoding')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim().toLowerCase())
    .filter((value) => value !== '');
  if (transfer.length > 0) {
    if (transfer.join(',') !== 'chunked') {
      throw new MalformedHttpResponseError(`unsupported transfer coding ${transfer.join(', ')}`);
    }
    return { kind: 'chunked', state: 'size', remaining: 0 };
  }
  const lengths = new Set(headers.getAll('content-length').flatMap((value) => value.split(',').map((v) => v.trim())));
  if (lengths.size === 0) return { kind: 'until-close' };
  const [length] = [...lengths];
  if (lengths.size > 1 || !/^\d{1,15}$/.test(length!)) {
    throw new MalformedHttpResponseError(`invalid Content-Length ${[...lengths].join(', ')}`);
  }
  return { kind: 'length', remaining: Number(length) };
}
