/**
 * The one XML tree shape of this module: what the reader produces and what the writer serializes.
 * Names are namespace URI + local name; prefixes are a serialization detail. Content is either text
 * or child elements (WS-Management uses no mixed content); the reader keeps whitespace between
 * child elements in `text`, which callers ignore when children are present.
 */
export interface XmlAttribute {
  /** '' for an unprefixed attribute (attributes do not take the default namespace). */
  readonly namespace: string;
  readonly localName: string;
  readonly value: string;
}

export interface XmlElement {
  /** '' when the element is in no namespace. */
  readonly namespace: string;
  readonly localName: string;
  readonly attributes: readonly XmlAttribute[];
  readonly children: readonly XmlElement[];
  readonly text: string;
  /** In-scope prefix bindings of a parsed element, to resolve QName-valued text such as fault codes. */
  readonly namespaces?: ReadonlyMap<string, string>;
}

export interface QualifiedName {
  readonly namespace: string;
  readonly localName: string;
}

export function xmlElement(
  namespace: string,
  localName: string,
  content: { attributes?: readonly XmlAttribute[]; children?: readonly XmlElement[]; text?: string } = {},
): XmlElement {
  return {
    namespace,
    localName,
    attributes: content.attributes ?? [],
    children: content.children ?? [],
    text: content.text ?? '',
  };
}

export function xmlAttribute(localName: string, value: string, namespace = ''): XmlAttribute {
  return { namespace, localName, value };
}

export function childElement(parent: XmlElement, namespace: string, localName: string): XmlElement | undefined {
  return parent.children.find((child) => child.namespace === namespace && child.localName === localName);
}

export function childElements(parent: XmlElement, namespace: string, localName: string): XmlElement[] {
  return parent.children.filter((child) => child.namespace === namespace && child.localName === localName);
}

export function attributeValue(element: XmlElement, localName: string, namespace = ''): string | undefined {
  return element.attributes.find((a) => a.namespace === namespace && a.localName === localName)?.value;
}

/**
 * Resolves a QName written as element text (`w:TimedOut`) against the element's in-scope bindings.
 * An unbound prefix yields namespace '' rather than an error: it only ever labels a fault.
 */
export function resolveQName(element: XmlElement, qname: string): QualifiedName {
  const trimmed = qname.trim();
  const colon = trimmed.indexOf(':');
  const prefix = colon === -1 ? '' : trimmed.slice(0, colon);
  const localName = colon === -1 ? trimmed : trimmed.slice(colon + 1);
  return { namespace: element.namespaces?.get(prefix) ?? '', localName };
}
