import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError, UsageError } from '../errors';
import { MalformedXmlError } from './errors';
import { Namespace, requestPrefixes } from './namespaces';
import { attributeValue, childElement, resolveQName, xmlAttribute, xmlElement, type XmlElement } from './xml-element';
import { defaultXmlLimits, parseXml } from './xml-reader';
import { serializeXml } from './xml-writer';

const malformed =
  (input: string | Uint8Array, limits = defaultXmlLimits) =>
  () =>
    parseXml(input, limits);

describe('parseXml', () => {
  it('resolves names by namespace URI, whatever the prefixes', () => {
    const a = parseXml('<s:E xmlns:s="urn:x" xmlns:q="urn:y"><q:C q:at="1" plain="2">t</q:C></s:E>');
    const b = parseXml('<E xmlns="urn:x"><z:C xmlns:z="urn:y" z:at="1" plain="2">t</z:C></E>');
    for (const root of [a, b]) {
      expect(root).toMatchObject({ namespace: 'urn:x', localName: 'E' });
      const child = childElement(root, 'urn:y', 'C') as XmlElement;
      expect(child.text).toBe('t');
      expect(attributeValue(child, 'at', 'urn:y')).toBe('1');
      // Unprefixed attributes are in no namespace, even under a default namespace.
      expect(attributeValue(child, 'plain')).toBe('2');
    }
  });

  it('does not list namespace declarations as attributes, and resets the default namespace with xmlns=""', () => {
    const root = parseXml('<a xmlns="urn:a" xmlns:p="urn:p"><b xmlns=""/></a>');
    expect(root.attributes).toEqual([]);
    expect(root.children[0]).toMatchObject({ namespace: '', localName: 'b' });
  });

  it('decodes the predefined entities, character references, CDATA, and skips comments and PIs', () => {
    const root = parseXml(
      '<?xml version="1.0" encoding="utf-8"?><!-- c --><r a="&quot;&#x41;&#66;&apos;">&lt;&amp;&gt;<![CDATA[<&>]]><?pi x?><!--y-->&#x1F600;</r><!-- after -->',
    );
    expect(attributeValue(root, 'a')).toBe('"AB\'');
    expect(root.text).toBe('<&><&>😀');
  });

  it('normalizes line ends and attribute whitespace as XML 1.0 says, keeping referenced ones', () => {
    const root = parseXml('<r a="x\ty\nz&#10;">1\r\n2\r3</r>');
    expect(attributeValue(root, 'a')).toBe('x y z\n');
    expect(root.text).toBe('1\n2\n3');
  });

  it('reads UTF-8 bytes with or without a BOM, and keeps QName scope for fault codes', () => {
    const bytes = new TextEncoder().encode('<w:v xmlns:w="urn:w">w:TimedOut é</w:v>');
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
    for (const input of [bytes, withBom]) {
      const root = parseXml(input);
      expect(root.text).toBe('w:TimedOut é');
      expect(resolveQName(root, 'w:TimedOut')).toEqual({ namespace: 'urn:w', localName: 'TimedOut' });
      expect(resolveQName(root, 'other:X')).toEqual({ namespace: '', localName: 'X' });
    }
  });

  it('refuses DOCTYPE, so no entity can expand or fetch anything', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    expect(malformed(laughs)).toThrow(/DOCTYPE/);
    expect(malformed('<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>')).toThrow(MalformedXmlError);
    expect(malformed('<r>&lol;</r>')).toThrow(/undeclared entity/);
    expect(malformed('<r>a & b</r>')).toThrow(/entity reference/);
    expect(malformed('<r><!ENTITY x "y"></r>')).toThrow(/DOCTYPE/);
  });

  it('refuses malformed structure', () => {
    for (const bad of [
      '',
      '   ',
      'text',
      '<r>',
      '<r></s>',
      '<r><a></r></a>',
      '<r/><r/>',
      '<r/>tail',
      '<r a="1" a="2"/>',
      '<r xmlns:p="urn:1" xmlns:q="urn:1" p:a="1" q:a="2"/>',
      '<r a=1/>',
      '<r a="<"/>',
      '<r a="1"b="2"/>',
      '<p:r/>',
      '<r p:a="1"/>',
      '<r xmlns:p=""/>',
      '<r xmlns:xml="urn:other"/>',
      '<r xmlns:p="http://www.w3.org/XML/1998/namespace"/>',
      '<r>&#0;</r>',
      '<r>&#xD800;</r>',
      '<r>&#x110000;</r>',
      '<r><!-- unterminated </r>',
      '<r><![CDATA[ unterminated </r>',
      '<?xml version="1.0" encoding="UTF-16"?><r/>',
      '<r>\u0001</r>',
      '<1r/>',
    ]) {
      expect(malformed(bad), JSON.stringify(bad)).toThrow(MalformedXmlError);
    }
  });

  it('refuses invalid UTF-8', () => {
    expect(malformed(new Uint8Array([0x3c, 0x72, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x72, 0x3e]))).toThrow(/UTF-8/);
  });

  it('bounds size, depth, element count and attributes per element', () => {
    const limits = { maxBytes: 100, maxDepth: 3, maxElements: 5, maxAttributesPerElement: 2 };
    expect(malformed('<r>' + 'x'.repeat(100) + '</r>', limits)).toThrow(/exceeds the limit/);
    expect(malformed('<a><b><c><d/></c></b></a>', limits)).toThrow(/deeper than 3/);
    expect(parseXml('<a><b><c/></b></a>', limits).localName).toBe('a');
    expect(malformed('<a><b/><b/><b/><b/><b/></a>', limits)).toThrow(/more than 5 elements/);
    expect(malformed('<a x="1" y="2" z="3"/>', limits)).toThrow(/more than 2 attributes/);
  });

  it('fails fast on a very deep document without exhausting the stack', () => {
    const deep = '<a>'.repeat(200_000) + '</a>'.repeat(200_000);
    const started = performance.now();
    expect(malformed(deep)).toThrow(/deeper than 64/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('throws only MalformedXmlError for arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.uint8Array()), (input) => {
        try {
          parseXml(input);
        } catch (error) {
          expect(error).toBeInstanceOf(MalformedXmlError);
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('serializeXml', () => {
  it('declares only the prefixes in use, on the root', () => {
    const xml = serializeXml(
      xmlElement(Namespace.soap, 'Envelope', {
        children: [xmlElement(Namespace.shell, 'Shell', { attributes: [xmlAttribute('lang', 'en', Namespace.xml)] })],
      }),
      requestPrefixes,
    );
    expect(xml).toBe(
      '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">' +
        '<rsp:Shell xml:lang="en"/></s:Envelope>',
    );
  });

  it('writes other namespaces as default namespaces, resetting to none where needed', () => {
    const xml = serializeXml(
      xmlElement(Namespace.shell, 'Shell', {
        children: [
          xmlElement('urn:other', 'payload', { children: [xmlElement('urn:other', 'inner'), xmlElement('', 'bare')] }),
        ],
      }),
      requestPrefixes,
    );
    expect(xml).toBe(
      '<rsp:Shell xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">' +
        '<payload xmlns="urn:other"><inner/><bare xmlns=""/></payload></rsp:Shell>',
    );
  });

  it('escapes text and attributes so that they read back unchanged', () => {
    const tricky = 'a&b<c>d"e\'f\tg\nh\ri]]>';
    const xml = serializeXml(
      xmlElement('', 'r', { attributes: [xmlAttribute('v', tricky)], text: tricky }),
      requestPrefixes,
    );
    const back = parseXml(xml);
    expect(attributeValue(back, 'v')).toBe(tricky);
    expect(back.text).toBe(tricky);
  });

  it('refuses names, characters and shapes XML cannot represent', () => {
    const write = (element: XmlElement) => () => serializeXml(element, requestPrefixes);
    expect(write(xmlElement('', 'a b'))).toThrow(UsageError);
    expect(write(xmlElement('', 'r', { attributes: [xmlAttribute('x"y', '1')] }))).toThrow(UsageError);
    expect(write(xmlElement('', 'r', { text: '\u0000' }))).toThrow(UsageError);
    expect(write(xmlElement('', 'r', { attributes: [xmlAttribute('a', '\uDC00')] }))).toThrow(UsageError);
    expect(write(xmlElement('', 'r', { text: 't', children: [xmlElement('', 'c')] }))).toThrow(/both text and child/);
    expect(write(xmlElement('', 'r', { attributes: [xmlAttribute('a', '1', 'urn:unprefixed')] }))).toThrow(UsageError);
  });

  it('round-trips arbitrary trees through the reader', () => {
    const xmlText = fc
      .string({ unit: 'binary' })
      .map((s) => s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ''));
    const name = fc.stringMatching(/^[A-Za-z_][\w.-]{0,8}$/);
    const namespace = fc.constantFrom('', Namespace.shell, Namespace.wsman, 'urn:custom', 'urn:other');
    const element = (children: fc.Arbitrary<XmlElement[]>) =>
      fc
        .record({
          namespace,
          localName: name,
          attributes: fc.uniqueArray(fc.record({ localName: name, value: xmlText }), {
            selector: (a) => a.localName,
            maxLength: 3,
          }),
          children,
          text: xmlText,
        })
        .map((e) =>
          xmlElement(e.namespace, e.localName, {
            attributes: e.attributes.map((a) => xmlAttribute(a.localName, a.value)),
            children: e.children,
            text: e.children.length > 0 ? '' : e.text,
          }),
        );
    const tree = fc.letrec<{ element: XmlElement }>((tie) => ({
      element: fc.oneof(
        { maxDepth: 4, depthIdentifier: 'tree' },
        element(fc.constant([])),
        element(fc.array(tie('element'), { minLength: 1, maxLength: 3, depthIdentifier: 'tree' })),
      ),
    }));
    const strip = (element: XmlElement): unknown => ({
      namespace: element.namespace,
      localName: element.localName,
      attributes: element.attributes,
      children: element.children.map(strip),
      text: element.text,
    });
    fc.assert(
      fc.property(tree.element, (root) => {
        expect(strip(parseXml(serializeXml(root, requestPrefixes)))).toEqual(strip(root));
      }),
      { numRuns: 500 },
    );
  });
});
