import { primitive, type PSPrimitive } from './primitives';

/**
 * The object model of CLIXML. A value is `null` (`Nil`), a primitive (`S`, `I32`, …) or a PSObject
 * (`Obj`). A PSObject carries its type names (most derived first), its ToString text, at most one
 * base value (a primitive, for enums and primitives with extra members; a container; or, as
 * Windows writes for some provider items, another PSObject), and two
 * property bags: adapted (`Props`) and extended/note (`MS`). Objects referenced twice in one message
 * (`Ref`) deserialize to the same PSObject instance, so a graph may be shared or even cyclic.
 */
export type PSValue = null | PSPrimitive | PSObject;

export type PSContainer =
  /** `LST`: IList, arrays. */
  | { readonly kind: 'List'; readonly items: PSValue[] }
  /** `IE`: other IEnumerable. */
  | { readonly kind: 'Enumerable'; readonly items: PSValue[] }
  /** `STK`: Stack, items top first. */
  | { readonly kind: 'Stack'; readonly items: PSValue[] }
  /** `QUE`: Queue, items front first. */
  | { readonly kind: 'Queue'; readonly items: PSValue[] }
  /** `DCT`: IDictionary, entries in written order; keys may be any value. */
  | { readonly kind: 'Dictionary'; readonly entries: DictionaryEntry[] };

/** An `Obj` written as the base value of another `Obj` (Windows does so for some provider items). */
export interface PSBaseObject {
  readonly kind: 'BaseObject';
  readonly object: PSObject;
}

export interface DictionaryEntry {
  readonly key: PSValue;
  readonly value: PSValue;
}

export interface PSObjectInit {
  readonly typeNames?: readonly string[];
  readonly toStringText?: string;
  readonly value?: PSPrimitive | PSContainer | PSBaseObject;
  readonly adaptedProperties?: Iterable<readonly [string, PSValue]>;
  readonly extendedProperties?: Iterable<readonly [string, PSValue]>;
}

/** Prefix PowerShell adds to the type names of objects it rebuilt from CLIXML. */
export const DESERIALIZED_PREFIX = 'Deserialized.';

export class PSObject {
  /** Type names, most derived first; empty when the object carried none. */
  typeNames: string[];
  /** The `ToString` text, if the object carried one. */
  toStringText: string | undefined;
  /** The base value: a primitive (enums, extended primitives), a container, or a wrapped PSObject. */
  value: PSPrimitive | PSContainer | PSBaseObject | undefined;
  /** `Props`: the .NET type's own (adapted) properties. */
  readonly adaptedProperties: Map<string, PSValue>;
  /** `MS`: note and other extended properties. */
  readonly extendedProperties: Map<string, PSValue>;

  constructor(init: PSObjectInit = {}) {
    this.typeNames = [...(init.typeNames ?? [])];
    this.toStringText = init.toStringText;
    this.value = init.value;
    this.adaptedProperties = new Map(init.adaptedProperties);
    this.extendedProperties = new Map(init.extendedProperties);
  }

  /** A property by name, extended first (as PowerShell resolves members), then adapted. */
  property(name: string): PSValue | undefined {
    return this.extendedProperties.has(name) ? this.extendedProperties.get(name) : this.adaptedProperties.get(name);
  }

  /** Whether `typeName` (or its `Deserialized.` form) is among the type names. */
  isInstanceOf(typeName: string): boolean {
    return this.typeNames.some((name) => name === typeName || name === DESERIALIZED_PREFIX + typeName);
  }
}

/** Type names .NET gives every enum after its own. */
export const ENUM_BASE_TYPE_NAMES = ['System.Enum', 'System.ValueType', 'System.Object'] as const;

/**
 * An enum value as PowerShell writes it: the enum's type name then ENUM_BASE_TYPE_NAMES, `ToString`
 * with the member name (flags joined by ", "), and the Int32 value.
 */
export function psEnum(typeName: string, name: string, value: number): PSObject {
  return new PSObject({
    typeNames: [typeName, ...ENUM_BASE_TYPE_NAMES],
    toStringText: name,
    value: primitive('Int32', value),
  });
}
