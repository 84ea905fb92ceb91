/**
 * The ASN.1 building blocks of Kerberos (RFC 4120 §5.2) over the shared DER reader/writer: names,
 * times, flags, keys, checksums, encrypted data and pre-authentication data. Every Kerberos field is
 * EXPLICITly context-tagged; `Fields` reads them in order and names the structure in its errors.
 * GeneralizedTime, BOOLEAN and the KerberosFlags BIT STRING are coded here: der.ts has no codec for them.
 */

import {
  applicationTag,
  decodeBitString,
  decodeGeneralString,
  decodeInteger,
  decodeOctetString,
  type DerElement,
  type DerReader,
  encodeElement,
  encodeExplicit,
  encodeGeneralString,
  encodeInteger,
  encodeOctetString,
  encodeSequence,
  expectTag,
  readSequence,
  readSingleElement,
  TagClass,
  universal,
  UniversalTag,
} from '../asn1/der';
import type { KerberosKey } from './crypto/enctypes';
import { KerberosMessageError } from './errors';

export const PROTOCOL_VERSION = 5;

/** msg-type of each Kerberos message (RFC 4120 §5.10), also its [APPLICATION n] tag. */
export const MessageType = {
  asReq: 10,
  asRep: 11,
  tgsReq: 12,
  tgsRep: 13,
  apReq: 14,
  apRep: 15,
  krbCred: 22,
  krbError: 30,
} as const;

/** RFC 4120 §6.2 name types used here. */
export const NameType = { principal: 1, serviceInstance: 2 } as const;

export interface PrincipalName {
  readonly nameType: number;
  readonly components: readonly string[];
}

/** A principal with its realm (`alice@LAB.TEST`, `HTTP/win.lab.test@LAB.TEST`). */
export interface Principal extends PrincipalName {
  readonly realm: string;
}

export const formatPrincipal = (principal: Principal): string => `${principal.components.join('/')}@${principal.realm}`;

export const samePrincipal = (a: Principal, b: Principal): boolean =>
  a.realm === b.realm &&
  a.components.length === b.components.length &&
  a.components.every((component, index) => component === b.components[index]);

export interface EncryptedData {
  readonly etype: number;
  readonly kvno: number | undefined;
  readonly cipher: Uint8Array;
}

export interface Checksum {
  readonly type: number;
  readonly value: Uint8Array;
}

export interface PaData {
  readonly type: number;
  readonly value: Uint8Array;
}

/** RFC 4120 §7.5.2 padata types used here. */
export const PaDataType = {
  tgsReq: 1,
  encTimestamp: 2,
  etypeInfo: 11,
  etypeInfo2: 19,
  pacRequest: 128,
} as const;

// --- Reading ----------------------------------------------------------------------------------------

/** The fields of one Kerberos SEQUENCE, each `[n] EXPLICIT`, read in ascending tag order. */
export class Fields {
  readonly #reader: DerReader;
  /** The highest field number read so far. */
  #asked = -1;

  constructor(
    sequence: DerElement,
    readonly what: string,
  ) {
    this.#reader = readSequence(sequence, what);
  }

  optional<T>(number: number, decode: (element: DerElement) => T): T | undefined {
    this.#asked = Math.max(this.#asked, number);
    const inner = this.#reader.optionalExplicit(number);
    return inner === undefined ? undefined : decode(inner);
  }

  required<T>(number: number, decode: (element: DerElement) => T): T {
    const value = this.optional(number, decode);
    if (value === undefined) throw new KerberosMessageError(`${this.what}: field [${number}] is missing`);
    return value;
  }

  /**
   * Ends the structure. Fields numbered above every field read are extensions we do not know and are
   * skipped (RFC 4120 §5 leaves room for them); anything else left over is out of place.
   */
  end(): void {
    for (let extra = this.#reader.peek(); extra !== undefined; extra = this.#reader.peek()) {
      if (extra.tagClass !== TagClass.context || extra.number <= this.#asked) {
        throw new KerberosMessageError(`${this.what}: unexpected or misplaced field`);
      }
      this.#reader.next();
    }
  }
}

/** The SEQUENCE inside `[APPLICATION number]`. */
export function unwrapApplication(bytes: Uint8Array | DerElement, number: number, what: string): DerElement {
  const element = bytes instanceof Uint8Array ? readSingleElement(bytes) : bytes;
  return readSingleElement(expectTag(element, applicationTag(number), what).content);
}

export function decodeBoolean(element: DerElement): boolean {
  const content = expectTag(element, universal(UniversalTag.boolean), 'BOOLEAN').content;
  if (content.length !== 1) throw new KerberosMessageError('malformed BOOLEAN');
  return content[0] !== 0;
}

export const decodeInt32 = (element: DerElement): number => {
  const value = decodeInteger(element);
  if (value < -(2 ** 31) || value >= 2 ** 31) throw new KerberosMessageError(`Int32 ${value} out of range`);
  return value;
};

/** UInt32 (nonces, sequence numbers); Windows encodes the upper half as negative Int32, accepted too. */
export const decodeUInt32 = (element: DerElement): number => {
  const value = decodeInteger(element);
  if (value < -(2 ** 31) || value >= 2 ** 32) throw new KerberosMessageError(`UInt32 ${value} out of range`);
  return value >>> 0;
};

/** KerberosString: GeneralString of IA5 characters; UTF8String accepted from peers that use it. */
export function decodeKerberosString(element: DerElement): string {
  if (element.tagClass === 0 && element.number === UniversalTag.utf8String && !element.constructed) {
    return new TextDecoder('utf-8', { fatal: false }).decode(element.content);
  }
  return decodeGeneralString(element);
}

const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/;

/** KerberosTime (GeneralizedTime `YYYYMMDDHHMMSSZ`) → milliseconds since the Unix epoch. */
export function decodeKerberosTime(element: DerElement): number {
  const bytes = expectTag(element, universal(UniversalTag.generalizedTime), 'KerberosTime').content;
  const text = String.fromCharCode(...bytes.subarray(0, 32));
  const match = bytes.length <= 32 ? GENERALIZED_TIME.exec(text) : null;
  if (match === null) throw new KerberosMessageError(`malformed KerberosTime ${JSON.stringify(text)}`);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, ...number[]];
  return Date.UTC(year, month! - 1, day!, hour!, minute!, second!);
}

/** KerberosFlags: a BIT STRING of at least 32 bits; bit 0 is the most significant of the result. */
export function decodeKerberosFlags(element: DerElement): number {
  const { bytes } = decodeBitString(element);
  let flags = 0;
  for (let index = 0; index < 4; index++) flags = flags * 256 + (bytes[index] ?? 0);
  return flags;
}

export function decodeSequenceOf<T>(element: DerElement, what: string, decode: (item: DerElement) => T): T[] {
  const reader = readSequence(element, what);
  const items: T[] = [];
  while (!reader.done) items.push(decode(reader.next()));
  return items;
}

export function decodePrincipalName(element: DerElement): PrincipalName {
  const fields = new Fields(element, 'PrincipalName');
  const nameType = fields.required(0, decodeInt32);
  const components = fields.required(1, (list) => decodeSequenceOf(list, 'name-string', decodeKerberosString));
  fields.end();
  return { nameType, components };
}

export function decodeEncryptedData(element: DerElement): EncryptedData {
  const fields = new Fields(element, 'EncryptedData');
  const etype = fields.required(0, decodeInt32);
  const kvno = fields.optional(1, decodeUInt32);
  const cipher = fields.required(2, decodeOctetString);
  fields.end();
  return { etype, kvno, cipher };
}

export function decodeEncryptionKey(element: DerElement): KerberosKey {
  const fields = new Fields(element, 'EncryptionKey');
  const etype = fields.required(0, decodeInt32);
  const bytes = fields.required(1, decodeOctetString).slice();
  fields.end();
  return { etype, bytes };
}

export function decodeChecksum(element: DerElement): Checksum {
  const fields = new Fields(element, 'Checksum');
  const type = fields.required(0, decodeInt32);
  const value = fields.required(1, decodeOctetString);
  fields.end();
  return { type, value };
}

export function decodePaData(element: DerElement): PaData {
  const fields = new Fields(element, 'PA-DATA');
  const type = fields.required(1, decodeInt32);
  const value = fields.required(2, decodeOctetString);
  fields.end();
  return { type, value };
}

export const decodeMethodData = (element: DerElement): PaData[] =>
  decodeSequenceOf(element, 'METHOD-DATA', decodePaData);

// --- Writing ----------------------------------------------------------------------------------------

/** A SEQUENCE of `[n] EXPLICIT` fields; undefined entries are absent OPTIONAL fields. */
export const encodeFields = (fields: readonly (Uint8Array | undefined)[]): Uint8Array =>
  encodeSequence(...fields.flatMap((field, number) => (field === undefined ? [] : [encodeExplicit(number, field)])));

export const encodeApplication = (number: number, inner: Uint8Array): Uint8Array =>
  encodeElement(applicationTag(number), inner);

export const encodeBoolean = (value: boolean): Uint8Array =>
  encodeElement(universal(UniversalTag.boolean), Uint8Array.of(value ? 0xff : 0));

const pad2 = (value: number): string => String(value).padStart(2, '0');

/** Milliseconds since the epoch → KerberosTime (whole seconds, UTC). */
export function encodeKerberosTime(milliseconds: number): Uint8Array {
  const date = new Date(milliseconds);
  const text =
    String(date.getUTCFullYear()).padStart(4, '0') +
    pad2(date.getUTCMonth() + 1) +
    pad2(date.getUTCDate()) +
    pad2(date.getUTCHours()) +
    pad2(date.getUTCMinutes()) +
    pad2(date.getUTCSeconds()) +
    'Z';
  return encodeElement(universal(UniversalTag.generalizedTime), new TextEncoder().encode(text));
}

/** KerberosFlags as the 32-bit BIT STRING every implementation sends. */
export function encodeKerberosFlags(flags: number): Uint8Array {
  const content = new Uint8Array(5);
  new DataView(content.buffer).setUint32(1, flags >>> 0);
  return encodeElement(universal(UniversalTag.bitString), content);
}

/** Bit `index` of KerberosFlags (bit 0 is the most significant). */
export const flagBit = (index: number): number => 2 ** (31 - index);

export const encodePrincipalName = (name: PrincipalName): Uint8Array =>
  encodeFields([
    encodeInteger(name.nameType),
    encodeSequence(...name.components.map((component) => encodeGeneralString(component))),
  ]);

export const encodeEncryptedData = (data: EncryptedData): Uint8Array =>
  encodeFields([
    encodeInteger(data.etype),
    data.kvno === undefined ? undefined : encodeInteger(data.kvno),
    encodeOctetString(data.cipher),
  ]);

export const encodeEncryptionKey = (key: KerberosKey): Uint8Array =>
  encodeFields([encodeInteger(key.etype), encodeOctetString(key.bytes)]);

export const encodeChecksum = (checksum: Checksum): Uint8Array =>
  encodeFields([encodeInteger(checksum.type), encodeOctetString(checksum.value)]);

/** PA-DATA numbers its fields from 1. */
export const encodePaData = (data: PaData): Uint8Array =>
  encodeFields([undefined, encodeInteger(data.type), encodeOctetString(data.value)]);
