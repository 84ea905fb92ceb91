import { ClixmlError } from './errors';
import { PSObject, type DictionaryEntry, type PSContainer, type PSValue } from './object';
import {
  parsePrimitiveText,
  PROGRESS_RECORD_TAG,
  textKindOfTag,
  type ProgressRecordValue,
  type PSPrimitive,
} from './primitives';
import { decodeClixmlString } from './string-codec';
import { isXmlWhitespace, parseXmlElement, type XmlElement, type XmlLimits } from './xml';

export type ClixmlLimits = XmlLimits;

export const DEFAULT_CLIXML_LIMITS: ClixmlLimits = {
  /** A message's CLIXML cannot be longer than the message (see DEFAULT_DEFRAGMENTER_LIMITS). */
  maxInputChars: 64 * 1024 * 1024,
  /** The deepest message in the Windows captures nests 17 elements; 256 leaves ample room. */
  maxDepth: 256,
};

/**
 * Reads the CLIXML of one PSRP message (a single bare element) into the object model. `Ref` resolves
 * to the PSObject instance registered under that RefId, registered before its content is read, so
 * a reference to an enclosing object yields a cycle rather than a loop. Anything malformed or
 * unknown, and input beyond `limits`, throws ClixmlError.
 */
export function deserializeClixml(xml: string, limits: Partial<ClixmlLimits> = {}): PSValue {
  const root = parseXmlElement(xml, { ...DEFAULT_CLIXML_LIMITS, ...limits });
  return new ClixmlReader().readValue(root);
}

const CONTAINER_KINDS: Readonly<Record<string, Exclude<PSContainer['kind'], 'Dictionary'>>> = {
  LST: 'List',
  IE: 'Enumerable',
  STK: 'Stack',
  QUE: 'Queue',
};

class ClixmlReader {
  readonly #objects = new Map<string, PSObject>();
  readonly #typeNames = new Map<string, string[]>();

  readValue(element: XmlElement): PSValue {
    switch (element.name) {
      case 'Nil':
        expectEmpty(element);
        return null;
      case 'Ref':
      case 'Obj':
        return this.#readObjectOrRef(element);
      default:
        return readPrimitive(element);
    }
  }

  #readObjectOrRef(element: XmlElement): PSObject {
    if (element.name === 'Obj') return this.#readObject(element);
    expectEmpty(element);
    const refId = requireAttribute(element, 'RefId');
    const target = this.#objects.get(refId);
    if (target === undefined) throw new ClixmlError(`Ref to RefId ${refId}, which no earlier Obj has`);
    return target;
  }

  #readObject(element: XmlElement): PSObject {
    const object = new PSObject();
    const refId = element.attributes.get('RefId');
    // A later Obj reusing a RefId replaces the earlier one, as .NET's reader allows for old CLIXML.
    if (refId !== undefined) this.#objects.set(refId, object);
    expectNoText(element);
    const seen = new Set<string>();
    for (const child of element.children) {
      const group = childGroup(child.name);
      if (seen.has(group)) throw new ClixmlError(`Obj has more than one ${group}`);
      seen.add(group);
      switch (child.name) {
        case 'TN':
          object.typeNames = this.#readTypeNames(child);
          break;
        case 'TNRef': {
          expectEmpty(child);
          const refIdOfNames = requireAttribute(child, 'RefId');
          const names = this.#typeNames.get(refIdOfNames);
          if (names === undefined) throw new ClixmlError(`TNRef to RefId ${refIdOfNames}, which no earlier TN has`);
          object.typeNames = [...names];
          break;
        }
        case 'ToString':
          object.toStringText = readText(child);
          break;
        case 'Props':
        case 'MS': {
          const bag = child.name === 'Props' ? object.adaptedProperties : object.extendedProperties;
          expectNoText(child);
          for (const property of child.children) bag.set(readName(property), this.readValue(property));
          break;
        }
        case 'DCT':
          object.value = { kind: 'Dictionary', entries: this.#readDictionary(child) };
          break;
        default: {
          const containerKind = CONTAINER_KINDS[child.name];
          if (containerKind !== undefined) {
            expectNoText(child);
            object.value = { kind: containerKind, items: child.children.map((item) => this.readValue(item)) };
          } else if (child.name === 'Obj' || child.name === 'Ref') {
            object.value = { kind: 'BaseObject', object: this.#readObjectOrRef(child) };
          } else {
            object.value = readPrimitive(child);
          }
        }
      }
    }
    return object;
  }

  #readTypeNames(element: XmlElement): string[] {
    expectNoText(element);
    const refId = requireAttribute(element, 'RefId');
    const names = element.children.map((child) => {
      if (child.name !== 'T') throw new ClixmlError(`<${child.name}> inside TN, where only T is allowed`);
      return readText(child);
    });
    this.#typeNames.set(refId, names);
    return [...names];
  }

  #readDictionary(element: XmlElement): DictionaryEntry[] {
    expectNoText(element);
    return element.children.map((entry) => {
      if (entry.name !== 'En') throw new ClixmlError(`<${entry.name}> inside DCT, where only En is allowed`);
      expectNoText(entry);
      const parts = new Map<string, XmlElement>();
      for (const part of entry.children) {
        const name = part.attributes.get('N');
        if ((name !== 'Key' && name !== 'Value') || parts.has(name)) {
          throw new ClixmlError('a dictionary entry must hold one Key and one Value');
        }
        parts.set(name, part);
      }
      const key = parts.get('Key');
      const value = parts.get('Value');
      if (key === undefined || value === undefined) {
        throw new ClixmlError('a dictionary entry must hold one Key and one Value');
      }
      return { key: this.readValue(key), value: this.readValue(value) };
    });
  }
}

/** Children of an Obj that may appear once each; TN/TNRef share a slot, so do the base value and containers. */
function childGroup(name: string): string {
  if (name === 'TN' || name === 'TNRef') return 'type names';
  return ['ToString', 'Props', 'MS'].includes(name) ? name : 'base value';
}

function readPrimitive(element: XmlElement): PSPrimitive {
  if (element.name === PROGRESS_RECORD_TAG) return { kind: 'ProgressRecord', value: readProgressRecord(element) };
  const kind = textKindOfTag(element.name);
  if (kind === undefined) throw new ClixmlError(`unknown CLIXML element <${element.name}>`);
  if (element.children.length > 0) throw new ClixmlError(`<${element.name}> must hold text only`);
  const parsed = parsePrimitiveText(kind, element.text);
  if (typeof parsed === 'string') {
    throw new ClixmlError(`<${element.name}> ${parsed}: ${JSON.stringify(element.text.slice(0, 64))}`);
  }
  return parsed;
}

/** `PR`: AV, AI, Nil or S (current operation), PI, PC, T, SR, SD, in any order. */
function readProgressRecord(element: XmlElement): ProgressRecordValue {
  expectNoText(element);
  const parts = new Map<string, XmlElement>();
  for (const child of element.children) {
    const key = child.name === 'Nil' ? 'S' : child.name;
    if (!PROGRESS_PARTS.includes(key) || parts.has(key)) throw new ClixmlError(`unexpected <${child.name}> in PR`);
    parts.set(key, child);
  }
  const text = (name: string): string => {
    const part = parts.get(name);
    if (part === undefined) throw new ClixmlError(`PR lacks <${name}>`);
    return readText(part);
  };
  const int32 = (name: string): number => {
    const value = parsePrimitiveText('Int32', text(name));
    if (typeof value === 'string') throw new ClixmlError(`PR <${name}> ${value}`);
    return value.value as number;
  };
  const currentOperation = parts.get('S');
  return {
    activity: text('AV'),
    activityId: int32('AI'),
    statusDescription: text('SD'),
    currentOperation: currentOperation === undefined || currentOperation.name === 'Nil' ? null : text('S'),
    parentActivityId: int32('PI'),
    percentComplete: int32('PC'),
    secondsRemaining: int32('SR'),
    recordType: text('T'),
  };
}

const PROGRESS_PARTS = ['AV', 'AI', 'S', 'PI', 'PC', 'T', 'SR', 'SD'];

function readText(element: XmlElement): string {
  if (element.children.length > 0) throw new ClixmlError(`<${element.name}> must hold text only`);
  return decodeClixmlString(element.text);
}

function readName(element: XmlElement): string {
  return decodeClixmlString(requireAttribute(element, 'N'));
}

function requireAttribute(element: XmlElement, name: string): string {
  const value = element.attributes.get(name);
  if (value === undefined) throw new ClixmlError(`<${element.name}> lacks the ${name} attribute`);
  return value;
}

function expectEmpty(element: XmlElement): void {
  if (element.children.length > 0 || !isXmlWhitespace(element.text)) {
    throw new ClixmlError(`<${element.name}> must be empty`);
  }
}

function expectNoText(element: XmlElement): void {
  if (!isXmlWhitespace(element.text)) throw new ClixmlError(`text inside <${element.name}>, which holds elements`);
}
