import { ClixmlError } from './errors';

/**
 * The small XML subset CLIXML needs, read into a tree of elements. Kept deliberately narrow:
 * no DOCTYPE (refused, so no entity can be defined or expanded), only the five predefined entities
 * and numeric character references, no namespaces processing (names are taken verbatim),
 * comments skipped, CDATA read as text, an XML declaration allowed only at the very start.
 * Input length and nesting depth are bounded; the reader is a loop, not a recursion.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  /** The character data directly inside this element, concatenated (children's text excluded). */
  text: string;
}

export interface XmlLimits {
  readonly maxInputChars: number;
  readonly maxDepth: number;
}

const NAME = /[A-Za-z_:][A-Za-z0-9_.:-]*/y;
const WHITESPACE = /[ \t\r\n]*/y;
const XML_WHITESPACE_ONLY = /^[ \t\r\n]*$/;
const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function isXmlWhitespace(text: string): boolean {
  return XML_WHITESPACE_ONLY.test(text);
}

/** Parses a document holding exactly one root element. */
export function parseXmlElement(xml: string, limits: XmlLimits): XmlElement {
  if (xml.length > limits.maxInputChars) {
    throw new ClixmlError(`CLIXML of ${xml.length} characters exceeds the limit of ${limits.maxInputChars}`);
  }
  return new XmlReader(xml, limits).readDocument();
}

class XmlReader {
  #pos = 0;

  constructor(
    private readonly xml: string,
    private readonly limits: XmlLimits,
  ) {}

  readDocument(): XmlElement {
    if (this.xml.startsWith('<?xml')) this.#skipPast('?>', 'XML declaration');
    this.#skipMisc();
    if (this.xml[this.#pos] !== '<') throw this.#error('expected the root element');
    const stack: XmlElement[] = [];
    let root: XmlElement | undefined;
    while (root === undefined) {
      const lt = this.xml.indexOf('<', this.#pos);
      if (lt === -1) throw this.#error(`unclosed element <${stack.at(-1)?.name ?? ''}>`);
      const parent = stack.at(-1);
      if (lt > this.#pos && parent !== undefined) parent.text += decodeCharacterData(this.xml.slice(this.#pos, lt));
      this.#pos = lt;
      if (this.xml.startsWith('</', lt)) {
        const closed = this.#readEndTag(stack);
        if (stack.length === 0) root = closed;
      } else if (this.xml.startsWith('<!--', lt)) {
        this.#skipPast('-->', 'comment');
      } else if (this.xml.startsWith('<![CDATA[', lt)) {
        const end = this.#indexOrThrow(']]>', lt + 9, 'CDATA section');
        if (parent !== undefined) parent.text += normalizeLineEnds(this.xml.slice(lt + 9, end));
        this.#pos = end + 3;
      } else if (this.xml.startsWith('<!', lt)) {
        throw this.#error('DOCTYPE and markup declarations are refused');
      } else if (this.xml.startsWith('<?', lt)) {
        throw this.#error('processing instructions are refused');
      } else {
        const element = this.#readStartTag();
        parent?.children.push(element.element);
        if (element.selfClosed) {
          if (stack.length === 0) root = element.element;
        } else {
          if (stack.length >= this.limits.maxDepth) {
            throw this.#error(`nesting deeper than ${this.limits.maxDepth} elements`);
          }
          stack.push(element.element);
        }
      }
    }
    this.#skipMisc();
    if (this.#pos !== this.xml.length) throw this.#error('content after the root element');
    return root;
  }

  #readStartTag(): { element: XmlElement; selfClosed: boolean } {
    this.#pos++; // '<'
    const name = this.#readName();
    const attributes = new Map<string, string>();
    for (;;) {
      const hadSpace = this.#skipWhitespace();
      if (this.xml.startsWith('/>', this.#pos)) {
        this.#pos += 2;
        return { element: { name, attributes, children: [], text: '' }, selfClosed: true };
      }
      if (this.xml[this.#pos] === '>') {
        this.#pos++;
        return { element: { name, attributes, children: [], text: '' }, selfClosed: false };
      }
      if (!hadSpace) throw this.#error(`malformed start tag <${name}>`);
      const attribute = this.#readName();
      this.#skipWhitespace();
      if (this.xml[this.#pos] !== '=') throw this.#error(`attribute ${attribute} has no value`);
      this.#pos++;
      this.#skipWhitespace();
      const quote = this.xml[this.#pos];
      if (quote !== '"' && quote !== "'") throw this.#error(`attribute ${attribute} value is not quoted`);
      const end = this.#indexOrThrow(quote, this.#pos + 1, `attribute ${attribute}`);
      const raw = this.xml.slice(this.#pos + 1, end);
      if (raw.includes('<')) throw this.#error(`'<' in the value of attribute ${attribute}`);
      if (attributes.has(attribute)) throw this.#error(`duplicate attribute ${attribute} on <${name}>`);
      attributes.set(attribute, decodeAttributeValue(raw));
      this.#pos = end + 1;
    }
  }

  #readEndTag(stack: XmlElement[]): XmlElement {
    this.#pos += 2; // '</'
    const name = this.#readName();
    this.#skipWhitespace();
    if (this.xml[this.#pos] !== '>') throw this.#error(`malformed end tag </${name}>`);
    this.#pos++;
    const open = stack.pop();
    if (open?.name !== name) throw this.#error(`</${name}> does not close <${open?.name ?? ''}>`);
    return open;
  }

  #readName(): string {
    NAME.lastIndex = this.#pos;
    const match = NAME.exec(this.xml);
    if (match === null) throw this.#error('expected a name');
    this.#pos = NAME.lastIndex;
    return match[0];
  }

  /** Skips whitespace; true when there was some. */
  #skipWhitespace(): boolean {
    WHITESPACE.lastIndex = this.#pos;
    WHITESPACE.exec(this.xml);
    const moved = WHITESPACE.lastIndex > this.#pos;
    this.#pos = WHITESPACE.lastIndex;
    return moved;
  }

  /** Whitespace and comments, as allowed before and after the root element. */
  #skipMisc(): void {
    for (;;) {
      this.#skipWhitespace();
      if (!this.xml.startsWith('<!--', this.#pos)) return;
      this.#skipPast('-->', 'comment');
    }
  }

  #skipPast(terminator: string, what: string): void {
    this.#pos = this.#indexOrThrow(terminator, this.#pos, what) + terminator.length;
  }

  #indexOrThrow(needle: string, from: number, what: string): number {
    const index = this.xml.indexOf(needle, from);
    if (index === -1) throw this.#error(`unterminated ${what}`);
    return index;
  }

  #error(message: string): ClixmlError {
    return new ClixmlError(`XML at offset ${this.#pos}: ${message}`);
  }
}

/** XML line-end normalization (XML 1.0 §2.11): CRLF and lone CR read as LF. */
function normalizeLineEnds(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

function decodeCharacterData(raw: string): string {
  return decodeReferences(normalizeLineEnds(raw));
}

/** Attribute-value normalization (XML 1.0 §3.3.3) for CDATA attributes, then references. */
function decodeAttributeValue(raw: string): string {
  return decodeReferences(normalizeLineEnds(raw).replace(/[\t\n]/g, ' '));
}

const REFERENCE = /&(?:#x([0-9A-Fa-f]{1,6})|#([0-9]{1,7})|([A-Za-z]{2,4}));/y;

function decodeReferences(text: string): string {
  let amp = text.indexOf('&');
  if (amp === -1) return text;
  let result = '';
  let from = 0;
  while (amp !== -1) {
    REFERENCE.lastIndex = amp;
    const match = REFERENCE.exec(text);
    if (match === null) throw new ClixmlError(`malformed or unknown reference at "${text.slice(amp, amp + 12)}"`);
    const [, hex, decimal, entity] = match;
    let replacement: string | undefined;
    if (entity !== undefined) {
      replacement = PREDEFINED_ENTITIES[entity];
    } else {
      const codePoint = hex !== undefined ? Number.parseInt(hex, 16) : Number(decimal);
      const isCharacter = codePoint >= 1 && codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
      if (isCharacter) replacement = String.fromCodePoint(codePoint);
    }
    if (replacement === undefined) throw new ClixmlError(`unknown or invalid reference ${match[0]}`);
    result += text.slice(from, amp) + replacement;
    from = REFERENCE.lastIndex;
    amp = text.indexOf('&', from);
  }
  return result + text.slice(from);
}

/** Character data for element content. */
export function escapeXmlText(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** Character data for a double-quoted attribute value. */
export function escapeXmlAttribute(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}
