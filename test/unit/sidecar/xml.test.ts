import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  element,
  escapeAttr,
  escapeText,
  parseXml,
  serializeXml,
  text,
  textContent,
  type XmlElement,
} from '../../../src/library/sidecar/xml.js';

function only(xml: string): XmlElement {
  const root = parseXml(xml);
  assert.ok(root, `not parsed: ${xml}`);
  return root;
}

describe('sidecar XML tree', () => {
  it('decodes predefined entities and character references, once', () => {
    const root = only('<a b="&#x263A;&#65;&amp;lt;&quot;">x &#x1F600; &amp;amp; &lt;&gt;&apos;&#10;</a>');
    assert.equal(root.attrs.get('b'), '☺A&lt;"');
    assert.equal(textContent(root), "x 😀 &amp; <>'\n");
  });

  it('normalises attribute whitespace and line ends as XML 1.0 says', () => {
    const root = only('<a b="x\r\ny\tz&#10;"\n>1\r\n2\r3</a>');
    assert.equal(root.attrs.get('b'), 'x y z\n');
    assert.equal(textContent(root), '1\n2\n3');
  });

  it('keeps CDATA and comments', () => {
    const root = only('<a><!-- keep me --><b><![CDATA[x < y & z]]></b></a>');
    const out = serializeXml(root);
    assert.match(out, /<!-- keep me -->/);
    assert.match(out, /<b><!\[CDATA\[x < y & z\]\]><\/b>/);
    assert.equal(textContent(root.children[1] as XmlElement), 'x < y & z');
  });

  it('refuses what is not one well-formed document', () => {
    for (const bad of [
      '',
      'hello',
      '<a>',
      '<a></b>',
      '<a/><b/>',
      '<a>x & y</a>',
      '<a b="1" b="2"/>',
      '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
    ])
      assert.equal(parseXml(bad), undefined, bad);
  });

  it('accepts a BOM, leading whitespace, an XML declaration and packet PIs around the root', () => {
    const root = only(
      '\uFEFF\n <?xml version="1.0"?><?xpacket begin="\uFEFF" id="x"?><a/><?xpacket end="w"?>',
    );
    assert.equal(root.name, 'a');
  });

  it('writes mixed content and XML literals exactly, structure indented', () => {
    const root = only(
      '<r><s> <t>1</t>\n </s><m>pre <b>bold</b> post</m><l rdf:parseType="Literal"> <i>x</i> </l></r>',
    );
    assert.equal(
      serializeXml(root),
      '<r>\n  <s>\n    <t>1</t>\n  </s>\n  <m>pre <b>bold</b> post</m>\n  <l rdf:parseType="Literal"> <i>x</i> </l>\n</r>',
    );
  });

  it('escapes what it writes and drops characters XML cannot carry', () => {
    assert.equal(escapeText('a<b>&c\r\u0001\u0000d'), 'a&lt;b&gt;&amp;c&#xD;d');
    assert.equal(escapeAttr('"q"\t\n'), '&quot;q&quot;&#x9;&#xA;');
    assert.equal(escapeText('x\uD800y'), 'x\uFFFDy');
    const el = element('p', [['v', '<"&\'>\n']], [text(' ]]> & \u00e9 😀 ')]);
    const back = only(serializeXml(el));
    assert.equal(back.attrs.get('v'), '<"&\'>\n');
    assert.equal(textContent(back), ' ]]> & \u00e9 😀 ');
  });
});
