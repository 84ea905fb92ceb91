import { UsageError } from '../errors';
import { Namespace } from './namespaces';
import type { XmlElement } from './xml-element';

/**
 * Serializes an XmlElement tree. Namespaces with a prefix in `prefixes` are declared once on the root
 * (only those the tree uses); any other namespace becomes the default namespace of the element that
 * uses it, which is how PowerShell writes `<creationXml xmlns="http://schemas.microsoft.com/powershell">`.
 * Everything the caller supplies is escaped; names and characters XML cannot carry are a UsageError,
 * so no input can change the structure of the document.
 */
export function serializeXml(root: XmlElement, prefixes: ReadonlyMap<string, string>): string {
  const used = new Set<string>();
  collectNamespaces(root, prefixes, used);
  const declarations = [...prefixes]
    .filter(([namespace]) => used.has(namespace) && namespace !== Namespace.xml)
    .map(([namespace, prefix]) => ` xmlns:${prefix}="${escapeAttribute(namespace)}"`)
    .join('');
  return writeElement(root, prefixes, '', declarations);
}

const NCNAME = /^[A-Za-z_][\w.-]*$/;
const FORBIDDEN_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function collectNamespaces(element: XmlElement, prefixes: ReadonlyMap<string, string>, used: Set<string>): void {
  if (prefixes.has(element.namespace)) used.add(element.namespace);
  for (const attribute of element.attributes) {
    if (attribute.namespace === '') continue;
    if (!prefixes.has(attribute.namespace)) {
      throw new UsageError(
        `attribute ${attribute.localName} is in namespace ${attribute.namespace}, which has no prefix`,
      );
    }
    used.add(attribute.namespace);
  }
  for (const child of element.children) collectNamespaces(child, prefixes, used);
}

function writeElement(
  element: XmlElement,
  prefixes: ReadonlyMap<string, string>,
  defaultNamespace: string,
  extraDeclarations: string,
): string {
  checkName(element.localName);
  const prefix = prefixes.get(element.namespace);
  let declarations = extraDeclarations;
  let childDefaultNamespace = defaultNamespace;
  if (prefix === undefined && element.namespace !== defaultNamespace) {
    declarations += ` xmlns="${escapeAttribute(element.namespace)}"`;
    childDefaultNamespace = element.namespace;
  }
  const name = prefix === undefined ? element.localName : `${prefix}:${element.localName}`;
  const attributes = element.attributes
    .map((attribute) => {
      checkName(attribute.localName);
      const attributePrefix = attribute.namespace === '' ? '' : `${prefixes.get(attribute.namespace)}:`;
      return ` ${attributePrefix}${attribute.localName}="${escapeAttribute(attribute.value)}"`;
    })
    .join('');
  const open = `<${name}${declarations}${attributes}`;
  if (element.children.length > 0) {
    if (element.text !== '') throw new UsageError(`<${name}> has both text and child elements`);
    const inner = element.children.map((child) => writeElement(child, prefixes, childDefaultNamespace, '')).join('');
    return `${open}>${inner}</${name}>`;
  }
  return element.text === '' ? `${open}/>` : `${open}>${escapeText(element.text)}</${name}>`;
}

function checkName(localName: string): void {
  if (!NCNAME.test(localName)) throw new UsageError(`${JSON.stringify(localName)} is not an XML name`);
}

function checkCharacters(value: string): void {
  if (FORBIDDEN_CHARACTER.test(value)) {
    throw new UsageError('text contains a character XML 1.0 cannot carry (a control character or lone surrogate)');
  }
}

function escapeText(text: string): string {
  checkCharacters(text);
  // CR is written as a reference: a literal one would read back as LF.
  return text.replace(/[&<>\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' })[c] as string);
}

function escapeAttribute(value: string): string {
  checkCharacters(value);
  return value.replace(
    /[&<>"\t\n\r]/g,
    (c) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' })[
        c
      ] as string,
  );
}
