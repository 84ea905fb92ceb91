import { Namespace } from '../namespaces';
import { xmlAttribute, type XmlElement } from '../xml-element';
import { parseXml } from '../xml-reader';
import type { CaptureOverride } from './captures';

/**
 * Test-only structural view of a request envelope, for comparing ours with a recorded one: header
 * entries as a sorted list (header order is not significant) without wsa:MessageID (a fresh GUID
 * per request), and the body in document order. Prefixes and namespace declarations play no part;
 * names print with fixed short prefixes so a failing comparison reads like the envelope.
 */
export interface EnvelopeShape {
  readonly header: readonly string[];
  readonly body: readonly string[];
}

const shortPrefixes: ReadonlyMap<string, string> = new Map([
  [Namespace.soap, 's'],
  [Namespace.addressing, 'wsa'],
  [Namespace.wsman, 'wsman'],
  [Namespace.wsmv, 'wsmv'],
  [Namespace.shell, 'rsp'],
  [Namespace.enumeration, 'wsen'],
  [Namespace.powershell, 'pwsh'],
  [Namespace.xml, 'xml'],
]);

/** The prefixes capture override paths use. */
const overridePrefixes: Readonly<Record<string, string>> = {
  s: Namespace.soap,
  rsp: Namespace.shell,
  wsman: Namespace.wsman,
  wsa: Namespace.addressing,
};

export function envelopeShape(
  envelope: Uint8Array | string,
  overrides: readonly CaptureOverride[] = [],
): EnvelopeShape {
  let root = parseXml(envelope);
  for (const override of overrides) root = applyOverride(root, override.path.split('/'), override.attributes);
  const section = (localName: string) =>
    root.children.find((child) => child.namespace === Namespace.soap && child.localName === localName);
  const header = (section('Header')?.children ?? [])
    .filter((entry) => !(entry.namespace === Namespace.addressing && entry.localName === 'MessageID'))
    .map(canonical)
    .sort();
  return { header, body: (section('Body')?.children ?? []).map(canonical) };
}

function name(namespace: string, localName: string): string {
  if (namespace === '') return localName;
  const prefix = shortPrefixes.get(namespace);
  return prefix === undefined ? `{${namespace}}${localName}` : `${prefix}:${localName}`;
}

function canonical(element: XmlElement): string {
  const attributes = element.attributes
    .map((attribute) => `${name(attribute.namespace, attribute.localName)}=${JSON.stringify(attribute.value)}`)
    .sort()
    .join(' ');
  const content =
    element.children.length > 0 ? `(${element.children.map(canonical).join(' ')})` : ` ${JSON.stringify(element.text)}`;
  return `${name(element.namespace, element.localName)}[${attributes}]${content}`;
}

/** Sets attributes on the element at `path` below the root (the root itself is not in the path). */
function applyOverride(
  element: XmlElement,
  path: readonly string[],
  attributes: Readonly<Record<string, string>>,
): XmlElement {
  const [step, ...rest] = path;
  if (step === undefined) {
    const kept = element.attributes.filter(
      (attribute) => !(attribute.namespace === '' && attribute.localName in attributes),
    );
    const set = Object.entries(attributes).map(([localName, value]) => xmlAttribute(localName, value));
    return { ...element, attributes: [...kept, ...set] };
  }
  const [prefix = '', localName] = step.split(':');
  const namespace = overridePrefixes[prefix];
  const index = element.children.findIndex((child) => child.namespace === namespace && child.localName === localName);
  const target = element.children[index];
  if (target === undefined) throw new Error(`override path step ${step} not found`);
  const children = [...element.children];
  children[index] = applyOverride(target, rest, attributes);
  return { ...element, children };
}
