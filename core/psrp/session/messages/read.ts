import { ProtocolError } from '../../../errors';
import type { PSVersion } from '../../clixml';
import { isPrimitive, PSObject, type PSPrimitive, type PSValue } from '../../clixml';

/** A message body from the peer lacks a property PSRP requires, or holds a value of the wrong type. */
export class MessageBodyError extends ProtocolError {
  override readonly name = 'MessageBodyError';
}

const INTEGER_KINDS = new Set<PSPrimitive['kind']>([
  'Byte',
  'SByte',
  'UInt16',
  'Int16',
  'UInt32',
  'Int32',
  'UInt64',
  'Int64',
]);

function describe(value: PSValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'Nil';
  if (isPrimitive(value)) return value.kind;
  return `an object (${value.typeNames[0] ?? 'no type name'})`;
}

function mismatch(where: string, expected: string, value: PSValue | undefined): MessageBodyError {
  return new MessageBodyError(`${where}: expected ${expected}, got ${describe(value)}`);
}

/** The value as a PSObject. */
export function objectOf(value: PSValue | undefined, where: string): PSObject {
  if (value instanceof PSObject) return value;
  throw mismatch(where, 'an object', value);
}

/** Any integral primitive as a bigint (ci, sourceId and other Int64 fields). */
export function bigIntegerOf(value: PSValue | undefined, where: string): bigint {
  if (isPrimitive(value) && INTEGER_KINDS.has(value.kind)) return BigInt(value.value as number | bigint);
  throw mismatch(where, 'an integer', value);
}

/**
 * An integral primitive in the safe-integer range as a number. An enum (an object whose base value
 * is an integer, e.g. `<Obj><TN>…System.Enum…</TN><ToString>Error</ToString><I32>2</I32></Obj>`)
 * is read as its value, since .NET writes enums both ways.
 */
export function integerOf(value: PSValue | undefined, where: string): number {
  const base = value instanceof PSObject && isPrimitive(value.value) ? value.value : value;
  if (isPrimitive(base) && INTEGER_KINDS.has(base.kind)) {
    const number = Number(base.value);
    if (Number.isSafeInteger(number)) return number;
  }
  throw mismatch(where, 'an integer', value);
}

export function booleanOf(value: PSValue | undefined, where: string): boolean {
  if (isPrimitive(value) && value.kind === 'Boolean') return value.value;
  throw mismatch(where, 'a Boolean', value);
}

export function stringOf(value: PSValue | undefined, where: string): string {
  if (isPrimitive(value) && value.kind === 'String') return value.value;
  throw mismatch(where, 'a String', value);
}

/** A String, or null for `Nil`. */
export function nullableStringOf(value: PSValue | undefined, where: string): string | null {
  return value === null ? null : stringOf(value, where);
}

export function versionOf(value: PSValue | undefined, where: string): PSVersion {
  if (isPrimitive(value) && value.kind === 'Version') return value.value;
  throw mismatch(where, 'a Version', value);
}

/** The items of a list-like object (LST, IE, STK, QUE); `Nil` reads as no items. */
export function itemsOf(value: PSValue | undefined, where: string): PSValue[] {
  if (value === null) return [];
  if (value instanceof PSObject && value.value !== undefined && 'items' in value.value) return value.value.items;
  throw mismatch(where, 'a list', value);
}

/** Named access to the properties of one object, with the message and path in every error. */
export class Fields {
  readonly object: PSObject;

  constructor(
    value: PSValue | undefined,
    readonly where: string,
  ) {
    this.object = objectOf(value, where);
  }

  has(name: string): boolean {
    return this.object.property(name) !== undefined;
  }

  /** The property's value; a missing property is an error, a `Nil` one is `null`. */
  value(name: string): PSValue {
    const value = this.object.property(name);
    if (value === undefined) throw new MessageBodyError(`${this.where}: the property ${name} is missing`);
    return value;
  }

  #path(name: string): string {
    return `${this.where}.${name}`;
  }

  integer(name: string): number {
    return integerOf(this.value(name), this.#path(name));
  }

  bigInteger(name: string): bigint {
    return bigIntegerOf(this.value(name), this.#path(name));
  }

  boolean(name: string): boolean {
    return booleanOf(this.value(name), this.#path(name));
  }

  string(name: string): string {
    return stringOf(this.value(name), this.#path(name));
  }

  nullableString(name: string): string | null {
    return nullableStringOf(this.value(name), this.#path(name));
  }

  /** A String property that may also be absent (undefined) or `Nil` (null). */
  optionalString(name: string): string | null | undefined {
    return this.has(name) ? this.nullableString(name) : undefined;
  }

  version(name: string): PSVersion {
    return versionOf(this.value(name), this.#path(name));
  }

  items(name: string): PSValue[] {
    return itemsOf(this.value(name), this.#path(name));
  }

  fields(name: string): Fields {
    return new Fields(this.value(name), this.#path(name));
  }
}
