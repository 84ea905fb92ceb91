import { Buffer } from 'node:buffer';
import { ProtocolError } from '../errors';
import type { MessageSealing } from './mechanism';

/**
 * The MIME framing of WinRM HTTP message encryption (MS-WSMV 2.2.9.1, PROTOCOL.md §3.3): each plaintext
 * part is announced by a description part (protocol, original length) and followed by a data part holding
 * `uint32 LE header length ‖ header ‖ encrypted data` from the context's `wrap`. Mechanism-neutral: the
 * sealing supplies the protocol string, the chunk size and the crypto.
 */

export const ENCRYPTED_BOUNDARY = 'Encrypted Boundary';
export const SOAP_CONTENT_TYPE = 'application/soap+xml;charset=UTF-8';
const SINGLE_PART = 'multipart/encrypted';
/** Used when the message needed more than one encrypted part (CredSSP's 16 KiB chunks). */
const MULTI_PART = 'multipart/x-multi-encrypted';
const OCTET_STREAM = 'application/octet-stream';
const HEADER_LENGTH_BYTES = 4;

/** An encrypted body that is malformed, names another protocol, or decrypts to a length other than announced. */
export class EncryptedMessageError extends ProtocolError {
  override readonly name = 'EncryptedMessageError';
}

export interface ContentType {
  /** Lower case, e.g. `multipart/encrypted`. */
  readonly mediaType: string;
  /** Parameter names in lower case; quoted values unquoted. */
  readonly parameters: ReadonlyMap<string, string>;
}

/** Reads `type/subtype; name=value; name="quoted; value"` (RFC 9110 §8.3); tolerant of spacing. */
export function parseContentType(value: string): ContentType {
  const separator = value.indexOf(';');
  const mediaType = (separator < 0 ? value : value.slice(0, separator)).trim().toLowerCase();
  const parameters = new Map<string, string>();
  if (separator >= 0) {
    const parameter = /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
    for (const match of value.slice(separator).matchAll(parameter)) {
      const quoted = match[2];
      const text = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (match[3] ?? '').trim();
      parameters.set(match[1]!.toLowerCase(), text);
    }
  }
  return { mediaType, parameters };
}

/** Whether a response body is framed by this module (as opposed to plain SOAP or an error text). */
export function isEncryptedContentType(contentType: string): boolean {
  const { mediaType } = parseContentType(contentType);
  return mediaType === SINGLE_PART || mediaType === MULTI_PART;
}

export interface EncryptedMessage {
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** Seals a SOAP message as Windows frames it: one part, or `maxChunkBytes` chunks in x-multi-encrypted. */
export function encryptMessage(plaintext: Uint8Array, sealing: MessageSealing): EncryptedMessage {
  const parts = plaintextParts(plaintext, sealing.maxChunkBytes).map((chunk) => ({
    plaintextLength: chunk.length,
    ...sealing.wrap(chunk),
  }));
  return frameSealedParts(parts, sealing.encryptedProtocol);
}

/**
 * One part of an encrypted message: the plaintext length its description announces, and the header and
 * data `wrap` made of that plaintext. The pieces below let a caller whose wrap/unwrap is asynchronous
 * (CredSSP runs a TLS engine) frame and open messages exactly as encryptMessage/decryptMessage do.
 */
export interface SealedPart {
  readonly plaintextLength: number;
  readonly header: Uint8Array;
  readonly data: Uint8Array;
}

/** The plaintexts a message is sealed as: the whole of it, or chunks of `maxChunkBytes` (CredSSP's 16 KiB). */
export function plaintextParts(plaintext: Uint8Array, maxChunkBytes: number | undefined): Uint8Array[] {
  const chunkSize = maxChunkBytes ?? Math.max(plaintext.length, 1);
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
    throw new RangeError(`maxChunkBytes must be a positive integer, not ${maxChunkBytes}`);
  }
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < plaintext.length; offset += chunkSize) {
    chunks.push(plaintext.subarray(offset, offset + chunkSize));
  }
  if (chunks.length === 0) chunks.push(plaintext);
  return chunks;
}

/** The body and Content-Type of sealed parts: multipart/encrypted, or x-multi-encrypted for more than one. */
export function frameSealedParts(parts: readonly SealedPart[], encryptedProtocol: string): EncryptedMessage {
  const delimiter = `--${ENCRYPTED_BOUNDARY}\r\n`;
  const pieces: Uint8Array[] = [];
  for (const { plaintextLength, header, data } of parts) {
    pieces.push(
      ascii(
        `${delimiter}\tContent-Type: ${encryptedProtocol}\r\n` +
          `\tOriginalContent: type=${SOAP_CONTENT_TYPE};Length=${plaintextLength}\r\n` +
          `${delimiter}\tContent-Type: ${OCTET_STREAM}\r\n`,
      ),
      uint32LittleEndian(header.length),
      header,
      data,
    );
  }
  pieces.push(ascii(`--${ENCRYPTED_BOUNDARY}--\r\n`));
  const mediaType = parts.length > 1 ? MULTI_PART : SINGLE_PART;
  return {
    contentType: `${mediaType};protocol="${encryptedProtocol}";boundary="${ENCRYPTED_BOUNDARY}"`,
    body: concat(pieces),
  };
}

/**
 * Opens an encrypted body. Tolerant where real peers differ (PROTOCOL.md §3.3): part headers with or without
 * the leading TAB, Exchange's `-- Encrypted Boundary`, a closing delimiter with or without `--`. Strict where
 * safety needs it: the protocol must be the context's, every length field must fit the bytes present, and
 * every part must decrypt to exactly its announced `Length=`.
 */
export function decryptMessage(contentType: string, body: Uint8Array, sealing: MessageSealing): Uint8Array {
  const parts = readSealedParts(contentType, body, sealing.encryptedProtocol);
  return concat(parts.map((part) => checkOpenedPart(part, sealing.unwrap(part.header, part.data))));
}

/** The sealed parts of an encrypted body, after checking that it is one and names `encryptedProtocol`. */
export function readSealedParts(contentType: string, body: Uint8Array, encryptedProtocol: string): SealedPart[] {
  const { mediaType, parameters } = parseContentType(contentType);
  if (mediaType !== SINGLE_PART && mediaType !== MULTI_PART) {
    throw new EncryptedMessageError(`content type ${JSON.stringify(mediaType)} is not an encrypted message`);
  }
  const protocol = parameters.get('protocol');
  if (protocol === undefined || protocol.toLowerCase() !== encryptedProtocol.toLowerCase()) {
    throw new EncryptedMessageError(
      `the message is encrypted with protocol ${JSON.stringify(protocol ?? '(none)')}, ` +
        `but the security context uses ${encryptedProtocol}`,
    );
  }
  const parts = splitParts(body, parameters.get('boundary') ?? ENCRYPTED_BOUNDARY);
  const sealed: SealedPart[] = [];
  for (let index = 0; index < parts.length; index += 2) {
    const plaintextLength = readDescription(parts[index]!, encryptedProtocol);
    sealed.push({ plaintextLength, ...readDataPart(parts[index + 1]!) });
  }
  return sealed;
}

/** Returns `plaintext`, the opened `part`, after checking it has the length the part announced. */
export function checkOpenedPart(part: SealedPart, plaintext: Uint8Array): Uint8Array {
  if (plaintext.length !== part.plaintextLength) {
    throw new EncryptedMessageError(
      `a part announced Length=${part.plaintextLength} but decrypted to ${plaintext.length} bytes`,
    );
  }
  return plaintext;
}

/** The byte ranges between delimiters: description, data, description, data, ... */
function splitParts(body: Uint8Array, boundary: string): Uint8Array[] {
  // latin1 maps every byte to one UTF-16 unit, so string indices are byte offsets.
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  const delimiter = new RegExp(`--[ \\t]*${escapeRegExp(boundary)}(--)?(?:\\r\\n|$)`, 'g');
  const matches = [...text.matchAll(delimiter)];
  const first = matches[0];
  const last = matches.at(-1);
  if (first === undefined || last === undefined || first.index !== 0) {
    throw new EncryptedMessageError('the body does not start with the boundary delimiter');
  }
  if (text.slice(last.index + last[0].length).trim() !== '') {
    throw new EncryptedMessageError('bytes follow the closing boundary delimiter');
  }
  if (matches.slice(0, -1).some((match) => match[1] !== undefined)) {
    throw new EncryptedMessageError('a closing boundary delimiter precedes the last part');
  }
  const parts: Uint8Array[] = [];
  for (let index = 0; index + 1 < matches.length; index++) {
    const start = matches[index]!.index + matches[index]![0].length;
    parts.push(body.subarray(start, matches[index + 1]!.index));
  }
  if (parts.length === 0 || parts.length % 2 !== 0) {
    throw new EncryptedMessageError(`expected (description, data) pairs of parts, found ${parts.length} parts`);
  }
  return parts;
}

/** Returns the `Length=` of a description part after checking that it names the context's protocol. */
function readDescription(part: Uint8Array, expectedProtocol: string): number {
  const text = Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('latin1');
  const protocol = /^[ \t]*Content-Type[ \t]*:([^\r\n]*)/im.exec(text)?.[1]?.split(';')[0]?.trim();
  if (protocol?.toLowerCase() !== expectedProtocol.toLowerCase()) {
    throw new EncryptedMessageError(`a part is described as ${JSON.stringify(protocol ?? '(nothing)')}`);
  }
  const length = /^[ \t]*OriginalContent[ \t]*:[^\r\n]*?\bLength[ \t]*=[ \t]*(\d{1,10})\b/im.exec(text)?.[1];
  if (length === undefined) throw new EncryptedMessageError('a part has no OriginalContent Length=');
  return Number(length);
}

function readDataPart(part: Uint8Array): { header: Uint8Array; data: Uint8Array } {
  // The part's only header line; its length is bounded so a huge binary part is never decoded as text.
  const prefix = Buffer.from(part.buffer, part.byteOffset, Math.min(part.byteLength, 256)).toString('latin1');
  const line = /^[ \t]*Content-Type[ \t]*:[ \t]*application\/octet-stream[ \t]*\r\n/i.exec(prefix);
  if (line === null) throw new EncryptedMessageError('a data part is not application/octet-stream');
  const frame = part.subarray(line[0].length);
  if (frame.length < HEADER_LENGTH_BYTES) throw new EncryptedMessageError('a data part is shorter than its length');
  const headerLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0, true);
  if (headerLength > frame.length - HEADER_LENGTH_BYTES) {
    throw new EncryptedMessageError(
      `a data part declares a ${headerLength}-byte header but holds ${frame.length - HEADER_LENGTH_BYTES} bytes`,
    );
  }
  return {
    header: frame.subarray(HEADER_LENGTH_BYTES, HEADER_LENGTH_BYTES + headerLength),
    data: frame.subarray(HEADER_LENGTH_BYTES + headerLength),
  };
}

function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text); // every framing line is ASCII
}

function uint32LittleEndian(value: number): Uint8Array {
  const bytes = new Uint8Array(HEADER_LENGTH_BYTES);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((total, piece) => total + piece.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
