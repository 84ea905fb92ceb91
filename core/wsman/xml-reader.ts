import { MalformedXmlError } from './errors';
import { Namespace } from './namespaces';
import type { XmlAttribute, XmlElement } from './xml-element';

/**
 * A namespace-aware XML reader for SOAP responses, written for hostile input: it refuses DOCTYPE and
 * every entity but the five predefined ones and character references (so no entity expansion and no
 * external fetches), bounds size, depth, element and attribute counts, and walks the document without
 * recursion. Every failure is a MalformedXmlError; nothing else escapes.
 */

export interface XmlLimits {
  /** Largest document accepted, in bytes (UTF-8) or UTF-16 code units for string input. */
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly maxElements: number;
  readonly maxAttributesPerElement: number;
}

/**
 * Generous for WS-Management: a response is bounded by the MaxEnvelopeSize we ask for (≤ 512000 bytes
 * on current servers), envelopes nest about ten levels, and a full shell enumeration stays far below
 * these counts.
 */
export const defaultXmlLimits: XmlLimits = {
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 1_000_000,
  maxAttributesPerElement: 64,
};

interface ElementUnderConstruction {
  readonly namespace: string;
  readonly localName: string;
  readonly attributes: XmlAttribute[];
  readonly children: ElementUnderConstruction[];
  text: string;
  readonly namespaces: ReadonlyMap<string, string>;
}

interface OpenElement {
  readonly qname: string;
  readonly element: ElementUnderConstruction;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;
/** Characters XML 1.0 forbids anywhere in a document (C0 controls but TAB/LF/CR, surrogates, U+FFFE/F). */
const FORBIDDEN_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NAME =
  /[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?/y;
const REFERENCE = /&(?:#x([0-9A-Fa-f]{1,6})|#([0-9]{1,7})|([A-Za-z]{2,4}));/y;
const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ENCODING_DECLARATION = /\bencoding\s*=\s*(["'])([^"']*)\1/;

export function parseXml(input: Uint8Array | string, limits: XmlLimits = defaultXmlLimits): XmlElement {
  return new XmlReader(decodeDocument(input, limits), limits).readDocument();
}

function decodeDocument(input: Uint8Array | string, limits: XmlLimits): string {
  if (input.length > limits.maxBytes) {
    throw new MalformedXmlError(`document of ${input.length} bytes exceeds the limit of ${limits.maxBytes}`);
  }
  let text: string;
  if (typeof input === 'string') {
    text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  } else {
    const hasBom = UTF8_BOM.every((byte, i) => input[i] === byte);
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(hasBom ? input.subarray(3) : input);
    } catch {
      throw new MalformedXmlError('document is not valid UTF-8');
    }
  }
  if (FORBIDDEN_CHARACTER.test(text)) throw new MalformedXmlError('document contains a character XML forbids');
  // XML 1.0 §2.11: every CR LF pair and lone CR reads as LF.
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

class XmlReader {
  #pos = 0;
  #elementCount = 0;
  readonly #stack: OpenElement[] = [];
  #root: ElementUnderConstruction | undefined;

  constructor(
    private readonly doc: string,
    private readonly limits: XmlLimits,
  ) {}

  readDocument(): XmlElement {
    this.#skipXmlDeclaration();
    while (this.#pos < this.doc.length) {
      const lt = this.doc.indexOf('<', this.#pos);
      const textEnd = lt === -1 ? this.doc.length : lt;
      if (textEnd > this.#pos) this.#readText(textEnd);
      if (lt === -1) break;
      this.#readMarkup();
    }
    if (this.#stack.length > 0) this.#fail(`element <${this.#stack[this.#stack.length - 1]?.qname}> is not closed`);
    if (this.#root === undefined) this.#fail('document has no root element');
    return this.#root;
  }

  #fail(message: string): never {
    throw new MalformedXmlError(`${message} (at offset ${this.#pos})`);
  }

  #skipXmlDeclaration(): void {
    if (!/^<\?xml[\s?]/.test(this.doc)) return;
    const end = this.doc.indexOf('?>');
    if (end === -1) this.#fail('unterminated XML declaration');
    const encoding = ENCODING_DECLARATION.exec(this.doc.slice(0, end))?.[2];
    if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) this.#fail(`unsupported encoding ${encoding}`);
    this.#pos = end + 2;
  }

  #readText(end: number): void {
    const raw = this.doc.slice(this.#pos, end);
    const top = this.#stack[this.#stack.length - 1];
    if (top === undefined) {
      if (raw.trim() !== '') this.#fail('text outside the root element');
    } else {
      top.element.text += this.#decodeReferences(raw);
    }
    this.#pos = end;
  }

  /** At a '<': one tag, comment, CDATA section or processing instruction. */
  #readMarkup(): void {
    const doc = this.doc;
    if (doc.startsWith('<!--', this.#pos)) {
      this.#pos = this.#endOf('-->', 'comment');
    } else if (doc.startsWith('<![CDATA[', this.#pos)) {
      const top = this.#stack[this.#stack.length - 1];
      if (top === undefined) this.#fail('CDATA outside the root element');
      const end = this.#endOf(']]>', 'CDATA section');
      top.element.text += doc.slice(this.#pos + 9, end - 3);
      this.#pos = end;
    } else if (doc.startsWith('<!', this.#pos)) {
      // DOCTYPE (and with it every entity declaration) is refused outright.
      this.#fail('DOCTYPE and markup declarations are not accepted');
    } else if (doc.startsWith('<?', this.#pos)) {
      this.#pos = this.#endOf('?>', 'processing instruction');
    } else if (doc.startsWith('</', this.#pos)) {
      this.#readEndTag();
    } else {
      this.#readStartTag();
    }
  }

  #endOf(terminator: string, what: string): number {
    const at = this.doc.indexOf(terminator, this.#pos + 2);
    if (at === -1) this.#fail(`unterminated ${what}`);
    return at + terminator.length;
  }

  #readName(): string {
    NAME.lastIndex = this.#pos;
    const match = NAME.exec(this.doc);
    if (match === null) this.#fail('expected a name');
    this.#pos = NAME.lastIndex;
    return match[0];
  }

  #skipWhitespace(): boolean {
    const start = this.#pos;
    while (this.#pos < this.doc.length && ' \t\n'.includes(this.doc[this.#pos] as string)) this.#pos++;
    return this.#pos > start;
  }

  #readEndTag(): void {
    this.#pos += 2;
    const qname = this.#readName();
    this.#skipWhitespace();
    if (this.doc[this.#pos] !== '>') this.#fail(`malformed end tag </${qname}>`);
    this.#pos++;
    const open = this.#stack.pop();
    if (open === undefined || open.qname !== qname) {
      this.#fail(`end tag </${qname}> does not match <${open?.qname ?? '(none)'}>`);
    }
  }

  #readStartTag(): void {
    if (this.#root !== undefined && this.#stack.length === 0) this.#fail('content after the root element');
    this.#pos++;
    const qname = this.#readName();
    const rawAttributes: [string, string][] = [];
    let selfClosing = false;
    for (;;) {
      const separated = this.#skipWhitespace();
      const c = this.doc[this.#pos];
      if (c === '>') {
        this.#pos++;
        break;
      }
      if (c === '/' && this.doc[this.#pos + 1] === '>') {
        this.#pos += 2;
        selfClosing = true;
        break;
      }
      if (c === undefined) this.#fail(`unterminated start tag <${qname}>`);
      if (!separated) this.#fail(`expected whitespace before an attribute of <${qname}>`);
      if (rawAttributes.length >= this.limits.maxAttributesPerElement) {
        this.#fail(`<${qname}> has more than ${this.limits.maxAttributesPerElement} attributes`);
      }
      rawAttributes.push(this.#readAttribute());
    }
    if (this.#stack.length >= this.limits.maxDepth) this.#fail(`elements nest deeper than ${this.limits.maxDepth}`);
    const element = this.#construct(qname, rawAttributes);
    const parent = this.#stack[this.#stack.length - 1];
    if (parent === undefined) this.#root = element;
    else parent.element.children.push(element);
    if (++this.#elementCount > this.limits.maxElements) this.#fail(`more than ${this.limits.maxElements} elements`);
    if (!selfClosing) this.#stack.push({ qname, element });
  }

  #readAttribute(): [string, string] {
    const name = this.#readName();
    this.#skipWhitespace();
    if (this.doc[this.#pos] !== '=') this.#fail(`attribute ${name} has no value`);
    this.#pos++;
    this.#skipWhitespace();
    const quote = this.doc[this.#pos];
    if (quote !== '"' && quote !== "'") this.#fail(`attribute ${name} value is not quoted`);
    const end = this.doc.indexOf(quote, this.#pos + 1);
    if (end === -1) this.#fail(`unterminated value of attribute ${name}`);
    const raw = this.doc.slice(this.#pos + 1, end);
    if (raw.includes('<')) this.#fail(`'<' in the value of attribute ${name}`);
    this.#pos = end + 1;
    // XML 1.0 §3.3.3: literal whitespace characters in a value read as spaces; references do not.
    return [name, this.#decodeReferences(raw.replace(/[\t\n]/g, ' '))];
  }

  #construct(qname: string, rawAttributes: readonly [string, string][]): ElementUnderConstruction {
    const parentScope = this.#stack[this.#stack.length - 1]?.element.namespaces ?? rootScope;
    let scope = parentScope;
    for (const [name, value] of rawAttributes) {
      if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
      const prefix = name === 'xmlns' ? '' : name.slice(6);
      if (prefix === 'xmlns' || (prefix === 'xml') !== (value === Namespace.xml)) {
        this.#fail(`illegal namespace declaration ${name}="${value}"`);
      }
      if (prefix !== '' && value === '') this.#fail(`prefix ${prefix} bound to the empty namespace`);
      if (scope === parentScope) scope = new Map(parentScope);
      (scope as Map<string, string>).set(prefix, value);
    }
    const [prefix, localName] = splitQName(qname);
    const namespace = scope.get(prefix);
    if (namespace === undefined) this.#fail(`undeclared prefix ${prefix} on <${qname}>`);
    const attributes: XmlAttribute[] = [];
    const seen = new Set<string>();
    for (const [name, value] of rawAttributes) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
      const [attributePrefix, attributeLocalName] = splitQName(name);
      // Unprefixed attributes are in no namespace, whatever the default namespace is.
      const attributeNamespace = attributePrefix === '' ? '' : scope.get(attributePrefix);
      if (attributeNamespace === undefined) this.#fail(`undeclared prefix ${attributePrefix} on attribute ${name}`);
      const key = `${attributeNamespace} ${attributeLocalName}`;
      if (seen.has(key)) this.#fail(`duplicate attribute ${name} on <${qname}>`);
      seen.add(key);
      attributes.push({ namespace: attributeNamespace, localName: attributeLocalName, value });
    }
    return { namespace, localName, attributes, children: [], text: '', namespaces: scope };
  }

  #decodeReferences(raw: string): string {
    if (!raw.includes('&')) return raw;
    let decoded = '';
    let from = 0;
    for (let amp = raw.indexOf('&'); amp !== -1; amp = raw.indexOf('&', from)) {
      REFERENCE.lastIndex = amp;
      const match = REFERENCE.exec(raw);
      if (match === null) this.#fail('malformed or undeclared entity reference');
      decoded += raw.slice(from, amp) + this.#referencedText(match);
      from = REFERENCE.lastIndex;
    }
    return decoded + raw.slice(from);
  }

  #referencedText(match: RegExpExecArray): string {
    const [, hex, decimal, name] = match;
    if (name !== undefined) {
      const predefined = PREDEFINED_ENTITIES[name];
      if (predefined === undefined) this.#fail(`undeclared entity &${name};`);
      return predefined;
    }
    const codePoint = hex !== undefined ? parseInt(hex, 16) : Number(decimal);
    if (codePoint > 0x10ffff) this.#fail(`character reference ${match[0]} is out of range`);
    const character = String.fromCodePoint(codePoint);
    if (FORBIDDEN_CHARACTER.test(character)) this.#fail(`character reference ${match[0]} names a forbidden character`);
    return character;
  }
}

const rootScope: ReadonlyMap<string, string> = new Map([
  ['', ''],
  ['xml', Namespace.xml],
]);

function splitQName(qname: string): [prefix: string, localName: string] {
  const colon = qname.indexOf(':');
  return colon === -1 ? ['', qname] : [qname.slice(0, colon), qname.slice(colon + 1)];
}
