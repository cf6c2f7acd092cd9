import { childElements, element, text, textContent, type XmlElement } from './xml.js';

/**
 * Just enough RDF/XML for XMP: namespace scopes (properties are matched by namespace URI, not
 * by prefix, so `xap:Rating` in an old Adobe file is `xmp:Rating`), the top-level
 * `rdf:Description` elements, and reading/writing simple, language-alternative and array
 * properties in both the attribute and the element form. Pure.
 */
export const NS = {
  x: 'adobe:ns:meta/',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

/** prefix → namespace URI ('' is the default namespace). */
export type Scope = ReadonlyMap<string, string>;

export const ROOT_SCOPE: Scope = new Map([['xml', NS.xml]]);

export function scopeOf(el: XmlElement, parent: Scope): Scope {
  let out: Map<string, string> | undefined;
  for (const [k, v] of el.attrs) {
    if (k !== 'xmlns' && !k.startsWith('xmlns:')) continue;
    out ??= new Map(parent);
    out.set(k === 'xmlns' ? '' : k.slice(6), v);
  }
  return out ?? parent;
}

export interface QName {
  uri: string;
  local: string;
}

/** Resolve a qualified name; unprefixed attributes have no namespace (→ undefined). */
export function resolve(name: string, scope: Scope, isAttr = false): QName | undefined {
  const i = name.indexOf(':');
  if (i < 0) {
    const uri = isAttr ? undefined : scope.get('');
    return uri === undefined ? undefined : { uri, local: name };
  }
  const uri = scope.get(name.slice(0, i));
  return uri === undefined ? undefined : { uri, local: name.slice(i + 1) };
}

export function is(q: QName | undefined, uri: string, local: string): boolean {
  return q !== undefined && q.uri === uri && q.local === local;
}

/** Element children with their scopes. */
export function scopedChildren(el: XmlElement, scope: Scope): { el: XmlElement; scope: Scope }[] {
  return childElements(el).map((c) => ({ el: c, scope: scopeOf(c, scope) }));
}

export interface Packet {
  /** The `x:xmpmeta` element (or a bare `rdf:RDF` root). */
  root: XmlElement;
  rdf: XmlElement;
  rdfScope: Scope;
  /** Top-level `rdf:Description` elements, each with its scope. */
  descriptions: { el: XmlElement; scope: Scope }[];
}

/** Locate the RDF inside an XMP document root (`x:xmpmeta`/`x:xapmeta` or `rdf:RDF`). */
export function findPacket(root: XmlElement): Packet | undefined {
  const rootScope = scopeOf(root, ROOT_SCOPE);
  const q = resolve(root.name, rootScope);
  let rdf: { el: XmlElement; scope: Scope } | undefined;
  if (is(q, NS.rdf, 'RDF')) rdf = { el: root, scope: rootScope };
  else if (is(q, NS.x, 'xmpmeta') || is(q, NS.x, 'xapmeta'))
    rdf = scopedChildren(root, rootScope).find((c) => is(resolve(c.el.name, c.scope), NS.rdf, 'RDF'));
  if (!rdf) return undefined;
  const descriptions = scopedChildren(rdf.el, rdf.scope).filter((c) =>
    is(resolve(c.el.name, c.scope), NS.rdf, 'Description'),
  );
  return { root, rdf: rdf.el, rdfScope: rdf.scope, descriptions };
}

/** A property found on a description: an attribute (simple value) or a property element. */
export type Found =
  | { form: 'attr'; desc: XmlElement; name: string; value: string }
  | { form: 'element'; desc: XmlElement; el: XmlElement; scope: Scope };

/** Every occurrence of a property on the packet's top-level descriptions, in document order. */
export function findProperty(packet: Packet, uri: string, local: string): Found[] {
  const out: Found[] = [];
  for (const d of packet.descriptions) {
    for (const [name, value] of d.el.attrs)
      if (is(resolve(name, d.scope, true), uri, local)) out.push({ form: 'attr', desc: d.el, name, value });
    for (const c of scopedChildren(d.el, d.scope))
      if (is(resolve(c.el.name, c.scope), uri, local))
        out.push({ form: 'element', desc: d.el, el: c.el, scope: c.scope });
  }
  return out;
}

/** Remove every occurrence of a property. */
export function removeProperty(packet: Packet, uri: string, local: string): void {
  for (const f of findProperty(packet, uri, local)) {
    if (f.form === 'attr') f.desc.attrs.delete(f.name);
    else f.desc.children = f.desc.children.filter((c) => c !== f.el);
  }
}

/** The container (`rdf:Bag`/`Seq`/`Alt`) inside a property element, if any. */
function container(f: Found & { form: 'element' }): { el: XmlElement; scope: Scope } | undefined {
  return scopedChildren(f.el, f.scope).find((c) => {
    const q = resolve(c.el.name, c.scope);
    return is(q, NS.rdf, 'Bag') || is(q, NS.rdf, 'Seq') || is(q, NS.rdf, 'Alt');
  });
}

function items(f: Found & { form: 'element' }): { el: XmlElement; scope: Scope }[] {
  const c = container(f);
  return c
    ? scopedChildren(c.el, c.scope).filter((li) => is(resolve(li.el.name, li.scope), NS.rdf, 'li'))
    : [];
}

/** A simple value: the attribute, or the text of a property element without a container. */
export function simpleValue(f: Found): string | undefined {
  if (f.form === 'attr') return f.value;
  if (container(f) || childElements(f.el).length) return undefined;
  return textContent(f.el);
}

/** A language alternative: the `x-default` item, else the first; a simple value is accepted too. */
export function langAltValue(f: Found): string | undefined {
  if (f.form === 'attr') return f.value;
  const lis = items(f);
  if (!lis.length) return simpleValue(f);
  const xDefault = lis.find((li) => li.el.attrs.get('xml:lang')?.toLowerCase() === 'x-default');
  return textContent((xDefault ?? lis[0]!).el);
}

/** An array (Bag, Seq or Alt) as a list of item texts; a simple value is a one-item list. */
export function arrayValue(f: Found): string[] {
  if (f.form === 'attr') return [f.value];
  const lis = items(f);
  if (lis.length) return lis.map((li) => textContent(li.el));
  const v = simpleValue(f);
  return v === undefined ? [] : [v];
}

/**
 * A prefix bound to `uri` where `target` sits, declaring `preferred` (or `preferred2`, …) on
 * `target` when none is. Never rebinds a prefix the content already uses.
 */
export function ensurePrefix(
  target: { el: XmlElement; scope: Scope },
  uri: string,
  preferred: string,
): string {
  for (const [p, u] of target.scope) if (u === uri && p !== '') return p;
  let p = preferred;
  for (let n = 2; target.scope.has(p); n++) p = `${preferred}${n}`;
  target.el.attrs.set(`xmlns:${p}`, uri);
  const scope = new Map(target.scope);
  scope.set(p, uri);
  target.scope = scope;
  return p;
}

export function simpleProperty(name: string, value: string): XmlElement {
  return element(name, [], [text(value)]);
}

export function langAltProperty(name: string, rdf: string, value: string): XmlElement {
  const li = element(`${rdf}:li`, [['xml:lang', 'x-default']], [text(value)]);
  return element(name, [], [element(`${rdf}:Alt`, [], [li])]);
}

export function bagProperty(name: string, rdf: string, values: string[]): XmlElement {
  const lis = values.map((v) => element(`${rdf}:li`, [], [text(v)]));
  return element(name, [], [element(`${rdf}:Bag`, [], lis)]);
}
