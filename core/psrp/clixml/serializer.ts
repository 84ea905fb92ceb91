import { UsageError } from '../../errors';
import { PSObject, type PSBaseObject, type PSContainer, type PSValue } from './object';
import {
  formatPrimitiveText,
  isPrimitive,
  primitive,
  primitiveProblem,
  PROGRESS_RECORD_TAG,
  tagOfKind,
  type ProgressRecordValue,
  type PSPrimitive,
} from './primitives';
import { encodeClixmlString } from './string-codec';
import { escapeXmlAttribute, escapeXmlText } from './xml';

/**
 * What the serializer accepts: the object model, plus plain JS values for convenience —
 * `undefined`/`null` → `Nil`; string → `S`; boolean → `B`; a number → `I32` when it is an integer in
 * Int32 range, else `Db`; a bigint → `I64`, or `U64` above Int64; an array → `System.Object[]` list;
 * a Map → `System.Collections.Hashtable`.
 */
export type Serializable =
  | PSValue
  | undefined
  | string
  | number
  | boolean
  | bigint
  | readonly Serializable[]
  | ReadonlyMap<Serializable, Serializable>;

export const ARRAY_TYPE_NAMES = ['System.Object[]', 'System.Array', 'System.Object'] as const;
export const HASHTABLE_TYPE_NAMES = ['System.Collections.Hashtable', 'System.Object'] as const;

const CONTAINER_TAGS: Readonly<Record<PSContainer['kind'], string>> = {
  List: 'LST',
  Enumerable: 'IE',
  Stack: 'STK',
  Queue: 'QUE',
  Dictionary: 'DCT',
};

/**
 * Serializes one value to the CLIXML of a PSRP message: a single element, no XML declaration, no
 * namespace, and no indentation. Obj RefIds and TN RefIds are two counters from 0; an object met
 * again (same PSObject, array or Map instance) is written as `Ref`, so shared and cyclic graphs work.
 */
export function serializeClixml(value: Serializable): string {
  return new ClixmlWriter().write(value, undefined);
}

/**
 * The object-model form of a Serializable: the PSValue that serializeClixml writes the same way
 * (plain arrays and Maps become `System.Object[]` and Hashtable objects). An array or Map met twice
 * becomes one PSObject, so shared and cyclic graphs stay shared.
 */
export function toPSValue(value: Serializable): PSValue {
  const converted = new Map<object, PSObject>();
  const convert = (item: Serializable): PSValue => {
    if (item === null || item === undefined) return null;
    if (typeof item === 'string') return primitive('String', item);
    if (typeof item === 'boolean') return primitive('Boolean', item);
    if (typeof item === 'number') return numberPrimitive(item);
    if (typeof item === 'bigint') return bigintPrimitive(item);
    if (isPrimitive(item) || item instanceof PSObject) return item;
    const known = converted.get(item);
    if (known !== undefined) return known;
    if (Array.isArray(item)) {
      const items: PSValue[] = [];
      const object = new PSObject({ typeNames: ARRAY_TYPE_NAMES, value: { kind: 'List', items } });
      converted.set(item, object);
      for (const element of item as readonly Serializable[]) items.push(convert(element));
      return object;
    }
    if (item instanceof Map) {
      const entries: { key: PSValue; value: PSValue }[] = [];
      const object = new PSObject({ typeNames: HASHTABLE_TYPE_NAMES, value: { kind: 'Dictionary', entries } });
      converted.set(item, object);
      for (const [key, entry] of item as ReadonlyMap<Serializable, Serializable>) {
        entries.push({ key: convert(key), value: convert(entry) });
      }
      return object;
    }
    throw new UsageError(`cannot serialize ${Object.prototype.toString.call(item)}`);
  };
  return convert(value);
}

class ClixmlWriter {
  readonly #objectRefIds = new Map<object, number>();
  readonly #typeNameRefIds = new Map<string, number>();

  write(value: Serializable, name: string | undefined): string {
    const nameAttribute = name === undefined ? '' : ` N="${escapeXmlAttribute(encodeClixmlString(name))}"`;
    if (value === null || value === undefined) return `<Nil${nameAttribute} />`;
    if (typeof value === 'string') return textElement('S', nameAttribute, escapeXmlText(encodeClixmlString(value)));
    if (typeof value === 'boolean') return textElement('B', nameAttribute, value ? 'true' : 'false');
    if (typeof value === 'number') return this.#writePrimitive(numberPrimitive(value), nameAttribute);
    if (typeof value === 'bigint') return this.#writePrimitive(bigintPrimitive(value), nameAttribute);
    if (isPrimitive(value)) {
      const problem = primitiveProblem(value);
      if (problem !== undefined) throw new UsageError(`cannot serialize ${value.kind}: ${problem}`);
      return this.#writePrimitive(value, nameAttribute);
    }
    if (!(value instanceof PSObject) && !Array.isArray(value) && !(value instanceof Map)) {
      throw new UsageError(`cannot serialize ${Object.prototype.toString.call(value)}`);
    }
    const refId = this.#objectRefIds.get(value);
    if (refId !== undefined) return `<Ref${nameAttribute} RefId="${refId}" />`;
    this.#objectRefIds.set(value, this.#objectRefIds.size);
    return this.#writeObject(objectView(value), nameAttribute, this.#objectRefIds.size - 1);
  }

  #writeObject(object: ObjectView, nameAttribute: string, refId: number): string {
    let content = '';
    if (object.typeNames.length > 0) {
      const key = JSON.stringify(object.typeNames);
      const typeRefId = this.#typeNameRefIds.get(key);
      if (typeRefId === undefined) {
        this.#typeNameRefIds.set(key, this.#typeNameRefIds.size);
        const names = object.typeNames.map((typeName) =>
          textElement('T', '', escapeXmlText(encodeClixmlString(typeName))),
        );
        content += `<TN RefId="${this.#typeNameRefIds.size - 1}">${names.join('')}</TN>`;
      } else {
        content += `<TNRef RefId="${typeRefId}" />`;
      }
    }
    if (object.toStringText !== undefined) {
      content += textElement('ToString', '', escapeXmlText(encodeClixmlString(object.toStringText)));
    }
    const base = object.value;
    if (base?.kind === 'BaseObject') content += this.write(base.object, undefined);
    else if (isPrimitive(base)) content += this.write(base, undefined);
    else if (base !== undefined) content += this.#writeContainer(base);
    content += this.#writeProperties('Props', object.adaptedProperties);
    content += this.#writeProperties('MS', object.extendedProperties);
    return element('Obj', `${nameAttribute} RefId="${refId}"`, content);
  }

  #writeContainer(container: ContainerView): string {
    const tag = CONTAINER_TAGS[container.kind];
    if (container.kind === 'Dictionary') {
      const entries = container.entries.map(
        (entry) => `<En>${this.write(entry.key, 'Key')}${this.write(entry.value, 'Value')}</En>`,
      );
      return element(tag, '', entries.join(''));
    }
    return element(tag, '', container.items.map((item) => this.write(item, undefined)).join(''));
  }

  #writeProperties(tag: 'Props' | 'MS', properties: ReadonlyMap<string, Serializable>): string {
    if (properties.size === 0) return '';
    return `<${tag}>${[...properties].map(([name, value]) => this.write(value, name)).join('')}</${tag}>`;
  }

  #writePrimitive(value: PSPrimitive, nameAttribute: string): string {
    if (value.kind === 'ProgressRecord')
      return element(PROGRESS_RECORD_TAG, nameAttribute, progressContent(value.value));
    return textElement(tagOfKind(value.kind), nameAttribute, escapeXmlText(formatPrimitiveText(value)));
  }
}

/**
 * An element holding other elements: `<tag attrs />` when empty, as .NET's XmlWriter closes an
 * element without content (`<DCT />`).
 */
function element(tag: string, attributes: string, content: string): string {
  return content === '' ? `<${tag}${attributes} />` : `<${tag}${attributes}>${content}</${tag}>`;
}

/** An element holding text: always an end tag, as .NET's `WriteElementString` writes `<S></S>`. */
function textElement(tag: string, attributes: string, text: string): string {
  return `<${tag}${attributes}>${text}</${tag}>`;
}

/** The children of `PR`, in the order pwsh writes them. */
function progressContent(record: ProgressRecordValue): string {
  const text = (value: string): string => escapeXmlText(encodeClixmlString(value));
  return [
    textElement('AV', '', text(record.activity)),
    textElement('AI', '', String(record.activityId)),
    record.currentOperation === null ? '<Nil />' : textElement('S', '', text(record.currentOperation)),
    textElement('PI', '', String(record.parentActivityId)),
    textElement('PC', '', String(record.percentComplete)),
    textElement('T', '', text(record.recordType)),
    textElement('SR', '', String(record.secondsRemaining)),
    textElement('SD', '', text(record.statusDescription)),
  ].join('');
}

function numberPrimitive(value: number): PSPrimitive {
  const isInt32 = Number.isInteger(value) && value >= -0x8000_0000 && value <= 0x7fff_ffff && !Object.is(value, -0);
  return isInt32 ? primitive('Int32', value) : primitive('Double', value);
}

function bigintPrimitive(value: bigint): PSPrimitive {
  return value <= 2n ** 63n - 1n ? primitive('Int64', value) : primitive('UInt64', value);
}

/** What the writer needs of an object; a PSObject is one, and plain arrays and Maps get one. */
interface ObjectView {
  readonly typeNames: readonly string[];
  readonly toStringText?: string | undefined;
  readonly value?: PSPrimitive | ContainerView | PSBaseObject | undefined;
  readonly adaptedProperties: ReadonlyMap<string, Serializable>;
  readonly extendedProperties: ReadonlyMap<string, Serializable>;
}

type ContainerView =
  | { readonly kind: Exclude<PSContainer['kind'], 'Dictionary'>; readonly items: readonly Serializable[] }
  | { readonly kind: 'Dictionary'; readonly entries: readonly { key: Serializable; value: Serializable }[] };

const NO_PROPERTIES: ReadonlyMap<string, Serializable> = new Map();

function objectView(value: PSObject | readonly Serializable[] | ReadonlyMap<Serializable, Serializable>): ObjectView {
  if (value instanceof PSObject) return value;
  const base: ContainerView = Array.isArray(value)
    ? { kind: 'List', items: value as readonly Serializable[] }
    : {
        kind: 'Dictionary',
        entries: [...(value as ReadonlyMap<Serializable, Serializable>)].map(([key, item]) => ({ key, value: item })),
      };
  return {
    typeNames: Array.isArray(value) ? ARRAY_TYPE_NAMES : HASHTABLE_TYPE_NAMES,
    value: base,
    adaptedProperties: NO_PROPERTIES,
    extendedProperties: NO_PROPERTIES,
  };
}
