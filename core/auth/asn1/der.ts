/**
 * A small DER reader and writer for the ASN.1 of SPNEGO (RFC 4178), and later Kerberos (RFC 4120) and
 * CredSSP (MS-CSSP). The reader is lazy and bounded: it decodes one TLV at a time, every length is
 * checked against the bytes present before anything is sliced, contents are views into the input (no
 * copies, no allocation proportional to a claimed length), and nothing recurses, so the depth of a
 * structure is bounded by the schema the caller walks. Malformed input throws Asn1Error.
 *
 * Accepted beyond strict DER, because peers' encoders differ and it costs nothing in safety: long-form
 * lengths that could have been shorter. Refused: the indefinite length (BER only), lengths of more
 * than four octets, and tags numbered above 2^28.
 */

import { ProtocolError } from '../../errors';

/** The peer's ASN.1 is malformed, or has a different shape than the schema expects. */
export class Asn1Error extends ProtocolError {
  override readonly name = 'Asn1Error';
}

export const TagClass = { universal: 0, application: 1, context: 2, private: 3 } as const;
export type TagClass = (typeof TagClass)[keyof typeof TagClass];

export interface Tag {
  readonly tagClass: TagClass;
  readonly constructed: boolean;
  readonly number: number;
}

/** Universal tags used by the protocols of this project. */
export const UniversalTag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  objectIdentifier: 6,
  enumerated: 10,
  utf8String: 12,
  sequence: 16,
  set: 17,
  generalizedTime: 24,
  generalString: 27,
} as const;

export interface DerElement extends Tag {
  /** The contents octets: a view into the decoded buffer. */
  readonly content: Uint8Array;
  /** The whole encoding (identifier, length and contents): a view into the decoded buffer. */
  readonly encoded: Uint8Array;
}

const MAX_LENGTH_OCTETS = 4;
const MAX_TAG_NUMBER = 2 ** 28;

const describeTag = (tag: Tag): string => {
  const className = (['UNIVERSAL', 'APPLICATION', 'CONTEXT', 'PRIVATE'] as const)[tag.tagClass];
  return `[${className} ${tag.number}${tag.constructed ? ' constructed' : ''}]`;
};

/** Decodes the one element that starts at `offset`; it must end within `bytes`. */
export function readElement(bytes: Uint8Array, offset = 0): DerElement {
  let position = offset;
  const take = (what: string): number => {
    const value = bytes[position];
    if (value === undefined) throw new Asn1Error(`ASN.1 element at offset ${offset}: truncated ${what}`);
    position++;
    return value;
  };
  const identifier = take('identifier');
  const tagClass = (identifier >> 6) as TagClass;
  const constructed = (identifier & 0x20) !== 0;
  let number = identifier & 0x1f;
  if (number === 0x1f) {
    // High tag number form: base-128 digits, high bit set on all but the last, no leading 0x80.
    number = 0;
    let digit: number;
    do {
      digit = take('tag number');
      if (number === 0 && digit === 0x80) throw new Asn1Error(`ASN.1 element at offset ${offset}: padded tag number`);
      number = number * 128 + (digit & 0x7f);
      if (number >= MAX_TAG_NUMBER) throw new Asn1Error(`ASN.1 element at offset ${offset}: tag number too large`);
    } while (digit & 0x80);
  }
  const first = take('length');
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0) throw new Asn1Error(`ASN.1 element at offset ${offset}: indefinite length is not DER`);
    if (count > MAX_LENGTH_OCTETS) throw new Asn1Error(`ASN.1 element at offset ${offset}: ${count}-octet length`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + take('length');
  }
  const available = bytes.length - position;
  if (length > available) {
    throw new Asn1Error(`ASN.1 element at offset ${offset} claims ${length} content bytes but ${available} remain`);
  }
  return {
    tagClass,
    constructed,
    number,
    content: bytes.subarray(position, position + length),
    encoded: bytes.subarray(offset, position + length),
  };
}

/** Decodes `bytes` as exactly one element, with nothing after it. */
export function readSingleElement(bytes: Uint8Array): DerElement {
  const element = readElement(bytes);
  if (element.encoded.length !== bytes.length) {
    throw new Asn1Error(`${bytes.length - element.encoded.length} bytes follow the ASN.1 element`);
  }
  return element;
}

/** Whether `element` has exactly this tag. */
export const hasTag = (element: Tag, tagClass: TagClass, number: number, constructed: boolean): boolean =>
  element.tagClass === tagClass && element.number === number && element.constructed === constructed;

/** Throws unless `element` has this tag; `what` names it in the message. */
export function expectTag(element: DerElement, expected: Tag, what: string): DerElement {
  if (!hasTag(element, expected.tagClass, expected.number, expected.constructed)) {
    throw new Asn1Error(`${what}: expected ${describeTag(expected)}, found ${describeTag(element)}`);
  }
  return element;
}

export const universal = (number: number, constructed = false): Tag => ({
  tagClass: TagClass.universal,
  number,
  constructed,
});
export const contextTag = (number: number): Tag => ({ tagClass: TagClass.context, number, constructed: true });
export const applicationTag = (number: number, constructed = true): Tag => ({
  tagClass: TagClass.application,
  number,
  constructed,
});
const sequenceTag = universal(UniversalTag.sequence, true);

/**
 * Walks the elements inside a constructed element (or any run of concatenated TLVs) in order. Each
 * element is decoded only when asked for, so a lying length fails at the element that lies.
 */
export class DerReader {
  #offset = 0;

  constructor(
    private readonly bytes: Uint8Array,
    /** Names the structure in error messages. */
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.#offset >= this.bytes.length;
  }

  /** The next element without consuming it; undefined at the end. */
  peek(): DerElement | undefined {
    return this.done ? undefined : readElement(this.bytes, this.#offset);
  }

  /** Consumes the next element; throws at the end. */
  next(): DerElement {
    const element = this.peek();
    if (element === undefined) throw new Asn1Error(`${this.what}: missing element`);
    this.#offset += element.encoded.length;
    return element;
  }

  /** Consumes the next element, which must have this tag. */
  expect(tag: Tag, what: string): DerElement {
    return expectTag(this.next(), tag, `${this.what}: ${what}`);
  }

  /** Consumes the next element when it has this tag; otherwise consumes nothing. */
  optional(tag: Tag): DerElement | undefined {
    const element = this.peek();
    if (element === undefined || !hasTag(element, tag.tagClass, tag.number, tag.constructed)) return undefined;
    this.#offset += element.encoded.length;
    return element;
  }

  /** Consumes an EXPLICIT `[number]` wrapper when present and returns the one element inside it. */
  optionalExplicit(number: number): DerElement | undefined {
    const wrapper = this.optional(contextTag(number));
    return wrapper === undefined ? undefined : readSingleElement(wrapper.content);
  }

  /** Throws unless every element has been consumed (SEQUENCE fields are ordered; extras are an error). */
  end(): void {
    const extra = this.peek();
    if (extra !== undefined) throw new Asn1Error(`${this.what}: unexpected ${describeTag(extra)}`);
  }
}

/** A reader over the fields of a SEQUENCE. */
export const readSequence = (element: DerElement, what: string): DerReader =>
  new DerReader(expectTag(element, sequenceTag, what).content, what);

// --- Typed decoders of universal types -------------------------------------------------------------

/** OBJECT IDENTIFIER → dotted string ("1.3.6.1.5.5.2"). Arcs above 2^53 are refused. */
export function decodeOid(element: DerElement): string {
  expectTag(element, universal(UniversalTag.objectIdentifier), 'OBJECT IDENTIFIER');
  const bytes = element.content;
  if (bytes.length === 0) throw new Asn1Error('empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  let fresh = true;
  for (const byte of bytes) {
    if (fresh && byte === 0x80) throw new Asn1Error('OBJECT IDENTIFIER arc with a leading 0x80');
    value = value * 128 + (byte & 0x7f);
    if (!Number.isSafeInteger(value)) throw new Asn1Error('OBJECT IDENTIFIER arc too large');
    fresh = (byte & 0x80) === 0;
    if (fresh) {
      if (arcs.length === 0) {
        // The first subidentifier packs two arcs: 40·first + second, first ∈ {0, 1, 2}.
        const first = Math.min(Math.floor(value / 40), 2);
        arcs.push(first, value - 40 * first);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  if (!fresh) throw new Asn1Error('OBJECT IDENTIFIER ends inside an arc');
  return arcs.join('.');
}

/** INTEGER or ENUMERATED → number; values outside the safe integer range are refused. */
export function decodeInteger(element: DerElement, tagNumber: number = UniversalTag.integer): number {
  expectTag(element, universal(tagNumber), tagNumber === UniversalTag.enumerated ? 'ENUMERATED' : 'INTEGER');
  const bytes = element.content;
  if (bytes.length === 0) throw new Asn1Error('empty INTEGER');
  if (bytes.length > 6) throw new Asn1Error(`INTEGER of ${bytes.length} bytes is out of range`);
  let unsigned = 0;
  for (const byte of bytes) unsigned = unsigned * 256 + byte;
  // Two's complement: a leading 1 bit means the value is unsigned − 2^(8·length).
  return (bytes[0]! & 0x80) !== 0 ? unsigned - 2 ** (8 * bytes.length) : unsigned;
}

export const decodeEnumerated = (element: DerElement): number => decodeInteger(element, UniversalTag.enumerated);

export const decodeOctetString = (element: DerElement): Uint8Array =>
  expectTag(element, universal(UniversalTag.octetString), 'OCTET STRING').content;

/** BIT STRING → its bytes and the number of unused bits in the last one. */
export function decodeBitString(element: DerElement): { readonly unusedBits: number; readonly bytes: Uint8Array } {
  const content = expectTag(element, universal(UniversalTag.bitString), 'BIT STRING').content;
  const unusedBits = content[0];
  if (unusedBits === undefined || unusedBits > 7 || (content.length === 1 && unusedBits !== 0)) {
    throw new Asn1Error('malformed BIT STRING');
  }
  return { unusedBits, bytes: content.subarray(1) };
}

/** GeneralString (Kerberos uses it for ASCII names) → string, one character per octet. */
export const decodeGeneralString = (element: DerElement): string =>
  latin1(expectTag(element, universal(UniversalTag.generalString), 'GeneralString').content);

const latin1 = (bytes: Uint8Array): string => {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
};

// --- Writer ---------------------------------------------------------------------------------------

const encodeLength = (length: number): number[] => {
  if (length < 0x80) return [length];
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest & 0xff);
  return [0x80 | octets.length, ...octets];
};

const encodeIdentifier = (tag: Tag): number[] => {
  const leading = (tag.tagClass << 6) | (tag.constructed ? 0x20 : 0);
  if (tag.number < 0x1f) return [leading | tag.number];
  const digits: number[] = [];
  for (let rest = tag.number; rest > 0; rest = Math.floor(rest / 128)) digits.unshift((rest & 0x7f) | 0x80);
  digits[digits.length - 1]! &= 0x7f;
  return [leading | 0x1f, ...digits];
};

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};

/** One TLV with the given tag and contents (the contents of a constructed tag: its encoded elements). */
export function encodeElement(tag: Tag, ...contents: readonly Uint8Array[]): Uint8Array {
  const body = concat(contents);
  return concat([Uint8Array.from([...encodeIdentifier(tag), ...encodeLength(body.length)]), body]);
}

export const encodeSequence = (...fields: readonly Uint8Array[]): Uint8Array => encodeElement(sequenceTag, ...fields);

/** EXPLICIT `[number]` around one encoded element. */
export const encodeExplicit = (number: number, inner: Uint8Array): Uint8Array =>
  encodeElement(contextTag(number), inner);

export const encodeOctetString = (bytes: Uint8Array): Uint8Array =>
  encodeElement(universal(UniversalTag.octetString), bytes);

export const encodeGeneralString = (text: string): Uint8Array => {
  const bytes = Uint8Array.from(text, (character) => {
    const code = character.charCodeAt(0);
    if (code > 0xff) throw new RangeError(`GeneralString cannot carry ${JSON.stringify(character)}`);
    return code;
  });
  return encodeElement(universal(UniversalTag.generalString), bytes);
};

/** INTEGER (or ENUMERATED) in minimal two's complement. */
export function encodeInteger(value: number, tagNumber: number = UniversalTag.integer): Uint8Array {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer`);
  const octets: number[] = [];
  let rest = value;
  do {
    octets.unshift(((rest % 256) + 256) % 256);
    rest = Math.floor(rest / 256);
  } while (rest !== 0 && rest !== -1);
  // Add a sign octet when the top bit disagrees with the sign.
  if (value >= 0 && (octets[0]! & 0x80) !== 0) octets.unshift(0);
  if (value < 0 && (octets[0]! & 0x80) === 0) octets.unshift(0xff);
  return encodeElement(universal(tagNumber), Uint8Array.from(octets));
}

export const encodeEnumerated = (value: number): Uint8Array => encodeInteger(value, UniversalTag.enumerated);

/** Dotted string → OBJECT IDENTIFIER. */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((arc) => (/^\d+$/.test(arc) ? Number(arc) : Number.NaN));
  const [first, second, ...rest] = arcs;
  if (
    first === undefined ||
    second === undefined ||
    arcs.some((arc) => !Number.isSafeInteger(arc)) ||
    first > 2 ||
    (first < 2 && second >= 40)
  ) {
    throw new RangeError(`${JSON.stringify(dotted)} is not an object identifier`);
  }
  const octets: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const digits: number[] = [];
    for (let value = arc; ; value = Math.floor(value / 128)) {
      digits.unshift((value % 128) | (digits.length > 0 ? 0x80 : 0));
      if (value < 128) break;
    }
    octets.push(...digits);
  }
  return encodeElement(universal(UniversalTag.objectIdentifier), Uint8Array.from(octets));
}
