import { UsageError } from '../../errors';
import { parseGuid } from '../guid';
import { PSDateTime } from './datetime';
import { decodeClixmlString, encodeClixmlString } from './string-codec';
import { PSTimeSpan } from './timespan';
import { PSVersion } from './version';

/**
 * The primitive types of CLIXML (MS-PSRP 2.2.5.1), each a `{ kind, value }` pair so a value keeps its
 * exact .NET type through a round trip (an Int16 stays an Int16, a Single a Single).
 */
export interface PrimitiveValues {
  /** `S` */ String: string;
  /** `C`: one UTF-16 code unit, 0–65535. */ Char: number;
  /** `B` */ Boolean: boolean;
  /** `DT` */ DateTime: PSDateTime;
  /** `TS` */ TimeSpan: PSTimeSpan;
  /** `By` */ Byte: number;
  /** `SB` */ SByte: number;
  /** `U16` */ UInt16: number;
  /** `I16` */ Int16: number;
  /** `U32` */ UInt32: number;
  /** `I32` */ Int32: number;
  /** `U64` */ UInt64: bigint;
  /** `I64` */ Int64: bigint;
  /** `Sg`: a number exactly representable as float32 (or NaN/±Infinity). */ Single: number;
  /** `Db` */ Double: number;
  /** `D`: the decimal text, kept as written (.NET Decimal has 28–29 digits, beyond a JS number). */ Decimal: string;
  /** `BA` */ ByteArray: Uint8Array;
  /** `G`: canonical lower-case GUID string. */ Guid: string;
  /** `URI` */ Uri: string;
  /** `Version` */ Version: PSVersion;
  /** `XD`: the document's XML text. */ XmlDocument: string;
  /** `SBK`: the script text. */ ScriptBlock: string;
  /** `SS`: the encrypted (or, at protocol 2.4, plain) base64 blob, opaque here. */ SecureString: string;
  /** `PR` */ ProgressRecord: ProgressRecordValue;
}

export type PrimitiveKind = keyof PrimitiveValues;

export type PSPrimitive = {
  [K in PrimitiveKind]: { readonly kind: K; readonly value: PrimitiveValues[K] };
}[PrimitiveKind];

export type PrimitiveOf<K extends PrimitiveKind> = Extract<PSPrimitive, { kind: K }>;

/** System.Management.Automation.ProgressRecord, which CLIXML writes with its own `PR` element. */
export interface ProgressRecordValue {
  readonly activity: string;
  readonly activityId: number;
  readonly statusDescription: string;
  readonly currentOperation: string | null;
  readonly parentActivityId: number;
  readonly percentComplete: number;
  readonly secondsRemaining: number;
  /** ProgressRecordType name: `Processing` or `Completed`. */
  readonly recordType: string;
}

/** Text form of the primitives written as one text element (every kind but ProgressRecord). */
interface TextCodec<V> {
  readonly tag: string;
  /** The value, or a description of what is wrong with the text. */
  parse(text: string): { value: V } | { problem: string };
  format(value: V): string;
  /** Undefined when `value` is a valid value of the kind, else what is wrong. */
  check(value: V): string | undefined;
}

type TextKind = Exclude<PrimitiveKind, 'ProgressRecord'>;

const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isXmlSpace = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;

/** Strips XML whitespace at both ends, as `XmlConvert` does before reading a number (a scan, not a regex, to stay linear). */
function trim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isXmlSpace(text.charCodeAt(start))) start++;
  while (end > start && isXmlSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function stringCodec(tag: string): TextCodec<string> {
  return {
    tag,
    parse: (text) => ({ value: decodeClixmlString(text) }),
    format: encodeClixmlString,
    check: (value) => (typeof value === 'string' ? undefined : 'not a string'),
  };
}

function integerCodec(tag: string, min: number, max: number): TextCodec<number> {
  return {
    tag,
    parse(text) {
      const trimmed = trim(text);
      if (!INTEGER.test(trimmed) || trimmed.replace(/^[+-]?0*/, '').length > 10) return { problem: 'not an integer' };
      const value = Number(trimmed);
      return value >= min && value <= max ? { value: value === 0 ? 0 : value } : { problem: 'out of range' };
    },
    format: (value) => String(value),
    check: (value) =>
      Number.isInteger(value) && value >= min && value <= max ? undefined : `not an integer in ${min}..${max}`,
  };
}

function bigIntegerCodec(tag: string, min: bigint, max: bigint): TextCodec<bigint> {
  return {
    tag,
    parse(text) {
      const trimmed = trim(text);
      if (!INTEGER.test(trimmed) || trimmed.replace(/^[+-]?0*/, '').length > 20) return { problem: 'not an integer' };
      const value = BigInt(trimmed);
      return value >= min && value <= max ? { value } : { problem: 'out of range' };
    },
    format: (value) => value.toString(),
    check: (value) =>
      typeof value === 'bigint' && value >= min && value <= max ? undefined : `not a bigint in ${min}..${max}`,
  };
}

/** .NET `XmlConvert` spells the non-finite doubles NaN, INF and -INF; "Infinity" is read too. */
function parseFloatText(text: string): number | undefined {
  const trimmed = trim(text);
  switch (trimmed) {
    case 'NaN':
      return Number.NaN;
    case 'INF':
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case '-INF':
    case '-Infinity':
      return Number.NEGATIVE_INFINITY;
  }
  return FLOAT.test(trimmed) ? Number(trimmed) : undefined;
}

function formatFloat(value: number, shortest: (value: number) => string): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'INF';
  if (value === Number.NEGATIVE_INFINITY) return '-INF';
  if (Object.is(value, -0)) return '-0';
  return shortest(value).toUpperCase();
}

/** The shortest decimal that reads back as the same float32 (JS only knows the float64 shortest form). */
function shortestSingle(value: number): string {
  for (let precision = 1; precision < 9; precision++) {
    const candidate = Number(value.toPrecision(precision));
    if (Math.fround(candidate) === value) return String(candidate);
  }
  return String(Number(value.toPrecision(9)));
}

function base64Codec(tag: string): TextCodec<string> {
  return {
    tag,
    parse(text) {
      const compact = text.replace(/[ \t\r\n]/g, '');
      return BASE64.test(compact) ? { value: compact } : { problem: 'not base64' };
    },
    format: (value) => value,
    check: (value) => (typeof value === 'string' && BASE64.test(value) ? undefined : 'not base64'),
  };
}

const CODECS: { readonly [K in TextKind]: TextCodec<PrimitiveValues[K]> } = {
  String: stringCodec('S'),
  Char: integerCodec('C', 0, 0xffff),
  Boolean: {
    tag: 'B',
    parse(text) {
      const trimmed = trim(text);
      if (trimmed === 'true' || trimmed === '1') return { value: true };
      if (trimmed === 'false' || trimmed === '0') return { value: false };
      return { problem: 'not a boolean' };
    },
    format: (value) => (value ? 'true' : 'false'),
    check: (value) => (typeof value === 'boolean' ? undefined : 'not a boolean'),
  },
  DateTime: {
    tag: 'DT',
    parse(text) {
      const value = PSDateTime.parse(trim(text));
      return value === undefined ? { problem: 'not a valid xs:dateTime' } : { value };
    },
    format: (value) => value.toString(),
    check: (value) => (value instanceof PSDateTime ? undefined : 'not a PSDateTime'),
  },
  TimeSpan: {
    tag: 'TS',
    parse(text) {
      const value = PSTimeSpan.parse(trim(text));
      return value === undefined ? { problem: 'not a valid xs:duration' } : { value };
    },
    format: (value) => value.toString(),
    check: (value) => (value instanceof PSTimeSpan ? undefined : 'not a PSTimeSpan'),
  },
  Byte: integerCodec('By', 0, 0xff),
  SByte: integerCodec('SB', -0x80, 0x7f),
  UInt16: integerCodec('U16', 0, 0xffff),
  Int16: integerCodec('I16', -0x8000, 0x7fff),
  UInt32: integerCodec('U32', 0, 0xffff_ffff),
  Int32: integerCodec('I32', -0x8000_0000, 0x7fff_ffff),
  UInt64: bigIntegerCodec('U64', 0n, 2n ** 64n - 1n),
  Int64: bigIntegerCodec('I64', -(2n ** 63n), 2n ** 63n - 1n),
  Single: {
    tag: 'Sg',
    parse(text) {
      const value = parseFloatText(text);
      return value === undefined ? { problem: 'not a number' } : { value: Math.fround(value) };
    },
    format: (value) => formatFloat(value, shortestSingle),
    check: (value) =>
      typeof value === 'number' && (Number.isNaN(value) || Math.fround(value) === value)
        ? undefined
        : 'not a float32 value',
  },
  Double: {
    tag: 'Db',
    parse(text) {
      const value = parseFloatText(text);
      return value === undefined ? { problem: 'not a number' } : { value };
    },
    format: (value) => formatFloat(value, String),
    check: (value) => (typeof value === 'number' ? undefined : 'not a number'),
  },
  Decimal: {
    tag: 'D',
    parse(text) {
      const trimmed = trim(text);
      return DECIMAL.test(trimmed) ? { value: trimmed } : { problem: 'not a decimal number' };
    },
    format: (value) => value,
    check: (value) => (typeof value === 'string' && DECIMAL.test(value) ? undefined : 'not decimal text'),
  },
  ByteArray: {
    tag: 'BA',
    parse(text) {
      const compact = text.replace(/[ \t\r\n]/g, '');
      return BASE64.test(compact)
        ? { value: new Uint8Array(Buffer.from(compact, 'base64')) }
        : { problem: 'not base64' };
    },
    format: (value) => Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64'),
    check: (value) => (value instanceof Uint8Array ? undefined : 'not a Uint8Array'),
  },
  Guid: {
    tag: 'G',
    parse(text) {
      const value = parseGuid(trim(text));
      return value === undefined ? { problem: 'not a GUID' } : { value };
    },
    format: (value) => value,
    check: (value) => (typeof value === 'string' && parseGuid(value) === value ? undefined : 'not a lower-case GUID'),
  },
  Uri: stringCodec('URI'),
  Version: {
    tag: 'Version',
    parse(text) {
      const value = PSVersion.parse(trim(text));
      return value === undefined ? { problem: 'not a version' } : { value };
    },
    format: (value) => value.toString(),
    check: (value) => (value instanceof PSVersion ? undefined : 'not a PSVersion'),
  },
  XmlDocument: stringCodec('XD'),
  ScriptBlock: stringCodec('SBK'),
  SecureString: base64Codec('SS'),
};

export const PROGRESS_RECORD_TAG = 'PR';

const KIND_BY_TAG = new Map<string, TextKind>(
  (Object.keys(CODECS) as TextKind[]).map((kind) => [CODECS[kind].tag, kind]),
);

/** The primitive kind written with element `tag` (ProgressRecord excluded), or undefined. */
export function textKindOfTag(tag: string): TextKind | undefined {
  return KIND_BY_TAG.get(tag);
}

export function tagOfKind(kind: PrimitiveKind): string {
  return kind === 'ProgressRecord' ? PROGRESS_RECORD_TAG : CODECS[kind].tag;
}

/** Reads the text of a primitive element; a string describes the problem when the text is invalid. */
export function parsePrimitiveText(kind: TextKind, text: string): PSPrimitive | string {
  const result = (CODECS[kind] as TextCodec<PrimitiveValues[TextKind]>).parse(text);
  return 'problem' in result ? result.problem : ({ kind, value: result.value } as PSPrimitive);
}

/** The element text of a (checked) primitive other than ProgressRecord. */
export function formatPrimitiveText(primitive: Exclude<PSPrimitive, { kind: 'ProgressRecord' }>): string {
  return (CODECS[primitive.kind] as TextCodec<PrimitiveValues[TextKind]>).format(primitive.value);
}

/** Builds a primitive after checking that `value` is valid for `kind` (UsageError otherwise). */
export function primitive<K extends PrimitiveKind>(kind: K, value: PrimitiveValues[K]): PrimitiveOf<K> {
  const problem = primitiveProblem({ kind, value } as PSPrimitive);
  if (problem !== undefined) throw new UsageError(`invalid ${kind} value: ${problem}`);
  return { kind, value } as PrimitiveOf<K>;
}

/** Undefined for a valid primitive, else what is wrong with it. */
export function primitiveProblem(candidate: PSPrimitive): string | undefined {
  if (candidate.kind === 'ProgressRecord') return progressRecordProblem(candidate.value);
  if (!Object.hasOwn(CODECS, candidate.kind)) return `unknown primitive kind ${String(candidate.kind)}`;
  return (CODECS[candidate.kind] as TextCodec<PrimitiveValues[TextKind]>).check(candidate.value);
}

function progressRecordProblem(record: ProgressRecordValue): string | undefined {
  const int32Fields = [record.activityId, record.parentActivityId, record.percentComplete, record.secondsRemaining];
  if (int32Fields.some((value) => CODECS.Int32.check(value) !== undefined)) return 'a numeric field is not an Int32';
  const strings = [record.activity, record.statusDescription, record.recordType];
  if (strings.some((value) => typeof value !== 'string')) return 'a text field is not a string';
  if (record.currentOperation !== null && typeof record.currentOperation !== 'string') {
    return 'currentOperation is neither a string nor null';
  }
  return undefined;
}

/** Whether `value` has the shape of a PSPrimitive (its value is not checked). */
export function isPrimitive(value: unknown): value is PSPrimitive {
  if (typeof value !== 'object' || value === null || !('kind' in value) || !('value' in value)) return false;
  return typeof value.kind === 'string' && (value.kind === 'ProgressRecord' || Object.hasOwn(CODECS, value.kind));
}
