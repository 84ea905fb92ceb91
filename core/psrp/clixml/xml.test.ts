import { describe, expect, it } from 'vitest';
import { ClixmlError } from './errors';
import { escapeXmlAttribute, escapeXmlText, parseXmlElement, type XmlElement } from './xml';

const limits = { maxInputChars: 10_000, maxDepth: 8 };
const parse = (xml: string): XmlElement => parseXmlElement(xml, limits);

describe('XML reader', () => {
  it('reads elements, attributes, text and self-closing tags', () => {
    const root = parse(`<a x="1" y='two'>hi<b/><c z="&quot;&lt;&amp;">t</c >!</a>`);
    expect(root.name).toBe('a');
    expect([...root.attributes]).toEqual([
      ['x', '1'],
      ['y', 'two'],
    ]);
    expect(root.text).toBe('hi!');
    expect(root.children.map((child) => child.name)).toEqual(['b', 'c']);
    expect(root.children[1]?.attributes.get('z')).toBe('"<&');
  });

  it('decodes the predefined entities and character references', () => {
    expect(parse('<S>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1D11E;</S>').text).toBe(`<>&"'AB\u{1D11E}`);
  });

  it('normalizes line ends in text and whitespace in attributes', () => {
    expect(parse('<S a="x\ty\r\nz">1\r\n2\r3&#13;</S>').text).toBe('1\n2\n3\r');
    expect(parse('<S a="x\ty\r\nz"/>').attributes.get('a')).toBe('x y z');
  });

  it('skips comments and an XML declaration, reads CDATA as text', () => {
    expect(parse('<?xml version="1.0"?><!-- c --><S><!-- x -->a<![CDATA[<b>&amp;]]></S><!-- end -->').text).toBe(
      'a<b>&amp;',
    );
  });

  it.each([
    ['a DOCTYPE', '<!DOCTYPE S [<!ENTITY e "boom">]><S>&e;</S>'],
    ['an unknown entity', '<S>&e;</S>'],
    ['a bare ampersand', '<S>a & b</S>'],
    ['a reference to NUL', '<S>&#0;</S>'],
    ['a reference to a surrogate', '<S>&#xD800;</S>'],
    ['a processing instruction in content', '<S><?php ?></S>'],
    ['mismatched tags', '<a><b></a></b>'],
    ['an unclosed element', '<a><b></b>'],
    ['two roots', '<a/><b/>'],
    ['text after the root', '<a/>x'],
    ['no root', '   '],
    ['a duplicate attribute', '<a x="1" x="2"/>'],
    ['an unquoted attribute', '<a x=1/>'],
    ['< in an attribute', '<a x="<"/>'],
    ['a missing space between attributes', '<a x="1"y="2"/>'],
    ['an unterminated comment', '<a><!-- </a>'],
  ])('refuses %s', (_, xml) => {
    expect(() => parse(xml)).toThrow(ClixmlError);
  });

  it('bounds nesting depth and input length', () => {
    expect(parse('<a>'.repeat(8) + '</a>'.repeat(8)).name).toBe('a');
    expect(() => parse('<a>'.repeat(9) + '</a>'.repeat(9))).toThrow(/deeper than 8/);
    expect(() => parse(`<S>${'x'.repeat(10_000)}</S>`)).toThrow(/exceeds the limit/);
  });
});

describe('XML escaping', () => {
  it('escapes markup characters in text and attributes', () => {
    expect(escapeXmlText(`<a> & "b"`)).toBe(`&lt;a&gt; &amp; "b"`);
    expect(escapeXmlAttribute(`<a> & "b"`)).toBe(`&lt;a&gt; &amp; &quot;b&quot;`);
    expect(parse(`<S x="${escapeXmlAttribute(`<&">`)}">${escapeXmlText('<&>')}</S>`)).toMatchObject({
      text: '<&>',
      attributes: new Map([['x', '<&">']]),
    });
  });
});
