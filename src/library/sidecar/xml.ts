import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * A small, lossless-enough XML tree for XMP packets: elements (ordered attributes), text, CDATA
 * and comments. fast-xml-parser does the tokenising; entity and line-end handling is done here
 * so it follows XML 1.0 exactly (the parser's own entity support skips numeric references
 * unless HTML entities are switched on). Pure.
 */
export type XmlNode = XmlElement | XmlText | XmlComment;

export interface XmlElement {
  kind: 'element';
  /** Qualified name as written, e.g. `dc:subject`. */
  name: string;
  /** Attributes in document order, values decoded. Includes `xmlns:*` declarations. */
  attrs: Map<string, string>;
  children: XmlNode[];
}

export interface XmlText {
  kind: 'text';
  text: string;
  /** Came from a CDATA section (kept as one on output). */
  cdata?: boolean;
}

export interface XmlComment {
  kind: 'comment';
  text: string;
}

export function element(name: string, attrs: [string, string][] = [], children: XmlNode[] = []): XmlElement {
  return { kind: 'element', name, attrs: new Map(attrs), children };
}

export function text(value: string): XmlText {
  return { kind: 'text', text: value };
}

/** Element children only. */
export function childElements(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === 'element');
}

/** The character data of an element (text and CDATA children, concatenated). */
export function textContent(el: XmlElement): string {
  return el.children.map((c) => (c.kind === 'text' ? c.text : '')).join('');
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  commentPropName: '#comment',
  cdataPropName: '#cdata',
});

type RawNode = Record<string, unknown>;

/**
 * Parse a document and return its root element, or `undefined` when the text is not
 * well-formed XML with exactly one root element. Documents with a DTD are refused: XMP does not
 * allow one, and refusing it rules out entity-expansion tricks.
 */
export function parseXml(source: string): XmlElement | undefined {
  const doc = source.replace(/^[\uFEFF\s]+/, '');
  if (/<!DOCTYPE/i.test(doc)) return undefined;
  if (XMLValidator.validate(doc) !== true) return undefined;
  let raw: RawNode[];
  try {
    raw = parser.parse(doc) as RawNode[];
  } catch {
    return undefined;
  }
  const top = raw.map(convert).filter((n): n is XmlNode => n !== undefined);
  const roots = top.filter((n): n is XmlElement => n.kind === 'element');
  const strayText = top.some((n) => n.kind === 'text' && n.text.trim() !== '');
  return roots.length === 1 && !strayText ? roots[0] : undefined;
}

function convert(node: RawNode): XmlNode | undefined {
  const keys = Object.keys(node).filter((k) => k !== ':@');
  const key = keys[0];
  if (key === undefined) return undefined;
  const value = node[key];
  if (key === '#text') return text(decodeText(String(value)));
  if (key === '#cdata') return { kind: 'text', text: normaliseLineEnds(rawText(value)), cdata: true };
  if (key === '#comment') return { kind: 'comment', text: rawText(value) };
  if (key.startsWith('?') || key.startsWith('!')) return undefined;
  const attrs = new Map<string, string>();
  for (const [k, v] of Object.entries((node[':@'] ?? {}) as Record<string, unknown>))
    attrs.set(k, decodeAttr(String(v)));
  const children = Array.isArray(value)
    ? (value as RawNode[]).map(convert).filter((n): n is XmlNode => n !== undefined)
    : [];
  return { kind: 'element', name: key, attrs, children };
}

/** Text inside a CDATA or comment node, which the parser wraps as `[{ '#text': ... }]`. */
function rawText(value: unknown): string {
  if (!Array.isArray(value)) return '';
  return (value as RawNode[]).map((n) => String(n['#text'] ?? '')).join('');
}

function normaliseLineEnds(s: string): string {
  return s.replace(/\r\n?/g, '\n');
}

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Replace the five predefined entities and character references; leave anything else as is. */
function decodeRefs(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][\w.-]*);/g, (whole, ref: string) => {
    if (ref[0] !== '#') return PREDEFINED[ref] ?? whole;
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
      ? String.fromCodePoint(code)
      : whole;
  });
}

function decodeText(raw: string): string {
  return decodeRefs(normaliseLineEnds(raw));
}

/** XML attribute-value normalisation: literal tabs and line ends become spaces, references do not. */
function decodeAttr(raw: string): string {
  return decodeRefs(normaliseLineEnds(raw).replace(/[\t\n]/g, ' '));
}

/**
 * Characters XML 1.0 cannot carry at all (not even as references): C0 controls other than tab,
 * LF and CR, U+FFFE/U+FFFF, and unpaired surrogates. Controls are dropped; a lone surrogate
 * becomes U+FFFD.
 */
function clean(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex -- matching the controls XML forbids is the point
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
  );
}

export function escapeText(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
}

export function escapeAttr(s: string): string {
  return clean(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}

/**
 * Serialise an element. Elements that only hold other elements (and whitespace) are indented
 * one per line; anything with character data, and RDF XML literals, is written exactly as read.
 */
export function serializeXml(el: XmlElement, indent = '', exact = false): string {
  const attrs = [...el.attrs].map(([k, v]) => `${k}="${escapeAttr(v)}"`);
  const open =
    attrs.length > 2 && !exact
      ? `<${el.name}\n${attrs.map((a) => `${indent}    ${a}`).join('\n')}`
      : `<${el.name}${attrs.map((a) => ` ${a}`).join('')}`;
  const structural =
    !exact &&
    el.attrs.get('rdf:parseType') !== 'Literal' &&
    el.children.some((c) => c.kind === 'element') &&
    el.children.every((c) => c.kind !== 'text' || (!c.cdata && c.text.trim() === ''));
  const kids = structural ? el.children.filter((c) => c.kind !== 'text') : el.children;
  if (kids.length === 0) return `${open}/>`;
  if (!structural) return `${open}>${kids.map((c) => serializeNode(c, '', true)).join('')}</${el.name}>`;
  const inner = kids.map((c) => `${indent}  ${serializeNode(c, `${indent}  `, false)}`).join('\n');
  return `${open}>\n${inner}\n${indent}</${el.name}>`;
}

function serializeNode(node: XmlNode, indent: string, exact: boolean): string {
  if (node.kind === 'element') return serializeXml(node, indent, exact);
  if (node.kind === 'comment') return `<!--${node.text.replace(/--/g, '- -')}-->`;
  return node.cdata && !node.text.includes(']]>') ? `<![CDATA[${clean(node.text)}]]>` : escapeText(node.text);
}
