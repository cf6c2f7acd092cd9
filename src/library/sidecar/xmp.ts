import { isRejectRating, sidecarRating } from '../../core/reject.js';
import type { AttributePatch, Attributes } from '../../core/attributes.js';
import { formatXmpCoordinate, parseXmpCoordinate } from './gps.js';
import {
  NS,
  ROOT_SCOPE,
  arrayValue,
  bagProperty,
  ensurePrefix,
  findPacket,
  findProperty,
  langAltValue,
  langAltProperty,
  removeProperty,
  scopeOf,
  simpleProperty,
  simpleValue,
  type Packet,
} from './rdf.js';
import { element, parseXml, serializeXml, type XmlElement } from './xml.js';

/**
 * XMP sidecars (`<original>.xmp`), the way Outpost's attributes travel with the files.
 *
 * Field choices (each readable by exiftool, Lightroom, darktable, digiKam):
 * - rating   → `xmp:Rating` (0–5; omitted when null); a rejected item is -1 (Lightroom, darktable, digiKam), read back as rejected.
 * - event    → `Iptc4xmpExt:Event` (IPTC Photo Metadata Extension "Event Name", a language
 *              alternative; written as `x-default`). Exiftool: XMP-iptcExt:Event.
 * - location → `exif:GPSLatitude` / `exif:GPSLongitude` in the XMP GPSCoordinate form
 *              `DD,MM.mmmmmmmmmmN` (see gps.ts). Other GPS properties are left alone.
 * - tags     → `dc:subject`, an `rdf:Bag` of keywords (Seq/Alt/plain text read too).
 * - notes    → `dc:description`, a language alternative (`x-default`).
 * - priority → `outpost:Priority` (XMP Boolean "True"/"False") in Outpost's own namespace
 *              (OUTPOST_NS). Not `xmp:Label`: that is the colour label of Lightroom, Bridge
 *              and darktable, and taking it over would clobber the photographer's labels.
 *              Always written, so its presence also marks a packet Outpost wrote.
 * Filled in once when absent, never replaced or removed: `xmp:CreateDate` (the capture time
 * from the file) and `xmpMM:PreservedFileName` (the name the camera gave the file).
 *
 * Everything else in an existing sidecar (the camera's or Lightroom's properties, their
 * namespaces, comments) is kept; only the properties above are replaced.
 */

/** Outpost's XMP namespace. `.invalid` (RFC 2606) can never clash with someone's real namespace. */
export const OUTPOST_NS = 'https://ns.outpost.invalid/xmp/1.0/';

const NS_XMP = 'http://ns.adobe.com/xap/1.0/';
const NS_XMPMM = 'http://ns.adobe.com/xap/1.0/mm/';
const NS_DC = 'http://purl.org/dc/elements/1.1/';
const NS_EXIF = 'http://ns.adobe.com/exif/1.0/';
const NS_IPTC_EXT = 'http://iptc.org/std/Iptc4xmpExt/2008-02-29/';

/** The properties Outpost owns: removed and rewritten on every build. */
const OWNED = {
  rating: { uri: NS_XMP, prefix: 'xmp', local: 'Rating' },
  event: { uri: NS_IPTC_EXT, prefix: 'Iptc4xmpExt', local: 'Event' },
  lat: { uri: NS_EXIF, prefix: 'exif', local: 'GPSLatitude' },
  lon: { uri: NS_EXIF, prefix: 'exif', local: 'GPSLongitude' },
  tags: { uri: NS_DC, prefix: 'dc', local: 'subject' },
  notes: { uri: NS_DC, prefix: 'dc', local: 'description' },
  priority: { uri: OUTPOST_NS, prefix: 'outpost', local: 'Priority' },
} as const;

const FILL_IN = {
  createDate: { uri: NS_XMP, prefix: 'xmp', local: 'CreateDate' },
  preservedFileName: { uri: NS_XMPMM, prefix: 'xmpMM', local: 'PreservedFileName' },
} as const;

/** Written only for a corrected capture time (readers such as darktable take the date from it). */
const CORRECTED = {
  dateTimeOriginal: { uri: NS_EXIF, prefix: 'exif', local: 'DateTimeOriginal' },
} as const;

type PropDef = { uri: string; prefix: string; local: string };

export type SidecarAttributes = Attributes & {
  capturedAt?: string | null;
  originalName?: string;
  /**
   * The capture time was corrected (a wrong camera clock fixed): `xmp:CreateDate` and
   * `exif:DateTimeOriginal` are Outpost's then, rewritten with `capturedAt`, not only filled in.
   */
  correctedTime?: boolean;
};

/** `YYYY-MM-DDThh:mm:ss`, optional fraction and zone: the XMP date forms Outpost passes on. */
const XMP_DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?$/;

/**
 * The sidecar text for `attrs`. With `existing` (a sidecar from the camera, Lightroom or an
 * earlier build), every property Outpost does not own is preserved. An `existing` text that is
 * not an XMP packet (not well-formed, no `rdf:RDF`) cannot be merged and is replaced.
 */
export function buildXmp(attrs: SidecarAttributes, existing?: string): string {
  const packet = (existing !== undefined && packetOf(existing)) || freshPacket();
  for (const p of Object.values(OWNED)) removeProperty(packet, p.uri, p.local);
  const target = targetDescription(packet);
  const add = (p: PropDef, make: (name: string, rdf: string) => XmlElement): void => {
    const prefix = ensurePrefix(target, p.uri, p.prefix);
    const rdf = ensurePrefix(target, NS.rdf, 'rdf');
    target.el.children.push(make(`${prefix}:${p.local}`, rdf));
  };
  const missing = (p: PropDef): boolean => findProperty(packet, p.uri, p.local).length === 0;

  // What stays from build to build (the file's own properties, the facts filled in once) comes
  // first; what every build removes and writes again (Outpost's properties, a corrected time)
  // after it, always in this order. So a sidecar built over its own text comes out byte for byte
  // the same: rewriting it with unchanged values changes nothing (a mirror pass killed after it
  // rewrote a sidecar rewrites it again next time, over the new file).
  const date = attrs.capturedAt && XMP_DATE_RE.test(attrs.capturedAt) ? attrs.capturedAt : undefined;
  if (attrs.correctedTime) {
    removeProperty(packet, FILL_IN.createDate.uri, FILL_IN.createDate.local);
    removeProperty(packet, CORRECTED.dateTimeOriginal.uri, CORRECTED.dateTimeOriginal.local);
  } else if (date && missing(FILL_IN.createDate)) add(FILL_IN.createDate, (n) => simpleProperty(n, date));
  if (attrs.originalName && missing(FILL_IN.preservedFileName))
    add(FILL_IN.preservedFileName, (n) => simpleProperty(n, attrs.originalName!));
  if (attrs.correctedTime && date) {
    add(CORRECTED.dateTimeOriginal, (n) => simpleProperty(n, date));
    add(FILL_IN.createDate, (n) => simpleProperty(n, date));
  }
  // Rejected is Rating -1 (Lightroom, darktable, digiKam); the stars stay in the catalogue.
  const rating = sidecarRating(attrs.rating, attrs.rejected === true);
  if (rating !== null) add(OWNED.rating, (n) => simpleProperty(n, String(rating)));
  if (attrs.event !== null) add(OWNED.event, (n, rdf) => langAltProperty(n, rdf, attrs.event!));
  if (attrs.location) {
    const { lat, lon } = attrs.location;
    add(OWNED.lat, (n) => simpleProperty(n, formatXmpCoordinate(lat, 'lat')));
    add(OWNED.lon, (n) => simpleProperty(n, formatXmpCoordinate(lon, 'lon')));
  }
  if (attrs.tags.length) add(OWNED.tags, (n, rdf) => bagProperty(n, rdf, attrs.tags));
  if (attrs.notes) add(OWNED.notes, (n, rdf) => langAltProperty(n, rdf, attrs.notes!));
  add(OWNED.priority, (n) => simpleProperty(n, attrs.priority ? 'True' : 'False'));

  return packetText(packet);
}

function packetOf(textIn: string): Packet | undefined {
  const root = parseXml(textIn);
  return root && findPacket(root);
}

function freshPacket(): Packet {
  const root = element('x:xmpmeta', [['xmlns:x', NS.x]], [element('rdf:RDF', [['xmlns:rdf', NS.rdf]])]);
  return findPacket(root)!;
}

/** The first top-level `rdf:Description` (created when there is none): where properties go. */
function targetDescription(packet: Packet): Packet['descriptions'][number] {
  const first = packet.descriptions[0];
  if (first) return first;
  const made = { el: element('rdf:Description'), scope: packet.rdfScope };
  const rdf = ensurePrefix(made, NS.rdf, 'rdf');
  made.el.name = `${rdf}:Description`;
  made.el.attrs.set(`${rdf}:about`, '');
  packet.rdf.children.push(made.el);
  packet.descriptions.push(made);
  return made;
}

/** The packet wrapper exiftool and Adobe write; `x:xmptk` names the toolkit that wrote it last. */
function packetText(packet: Packet): string {
  let root = packet.root;
  if (root === packet.rdf) root = element('x:xmpmeta', [['xmlns:x', NS.x]], [root]);
  const xPrefix = ensurePrefix({ el: root, scope: scopeOf(root, ROOT_SCOPE) }, NS.x, 'x');
  root.attrs.set(`${xPrefix}:xmptk`, 'Outpost');
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    serializeXml(root),
    '<?xpacket end="w"?>',
    '',
  ].join('\n');
}

const TAG_MAX = 64;
const TAGS_MAX = 100;
const EVENT_MAX = 120;
const NOTES_MAX = 10_000;

/**
 * The Outpost attributes a sidecar states. Only fields present in the packet are returned,
 * cut to what the attribute schema accepts (tags trimmed, deduplicated, at most 100 of 64
 * characters; event 120; notes 10,000). A packet Outpost wrote (it has `outpost:Priority`)
 * states every field, so there an absent field means cleared (null, or [] for tags).
 * Text that is not an XMP packet yields `{}`.
 */
export function parseXmp(textIn: string): Partial<AttributePatch> {
  const packet = packetOf(textIn);
  if (!packet) return {};
  const first = (p: PropDef): ReturnType<typeof findProperty>[number] | undefined =>
    findProperty(packet, p.uri, p.local)[0];
  const out: Partial<AttributePatch> = {};

  const priorityFound = first(OWNED.priority);
  const priorityText = priorityFound && simpleValue(priorityFound)?.trim().toLowerCase();
  if (priorityText === 'true' || priorityText === '1') out.priority = true;
  else if (priorityText === 'false' || priorityText === '0') out.priority = false;
  const complete = priorityFound !== undefined;

  const ratingFound = first(OWNED.rating);
  const rating = ratingFound && Number(simpleValue(ratingFound)?.trim() || NaN);
  if (rating !== undefined && Number.isFinite(rating) && rating >= 0)
    out.rating = Math.min(5, Math.round(rating));
  // -1 is a reject in every reader's convention (the stars, if any, are not in the file then).
  if (rating !== undefined && Number.isFinite(rating) && isRejectRating(rating)) out.rejected = true;

  const eventFound = first(OWNED.event);
  const event = eventFound && cut(langAltValue(eventFound)?.trim() ?? '', EVENT_MAX).trim();
  if (event) out.event = event;

  const latFound = first(OWNED.lat);
  const lonFound = first(OWNED.lon);
  const latText = latFound && simpleValue(latFound);
  const lonText = lonFound && simpleValue(lonFound);
  const lat = latText === undefined ? undefined : parseXmpCoordinate(latText, 'lat');
  const lon = lonText === undefined ? undefined : parseXmpCoordinate(lonText, 'lon');
  if (lat !== undefined && lon !== undefined) out.location = { lat, lon };

  const tagsFound = first(OWNED.tags);
  if (tagsFound) {
    const tags = [...new Set(arrayValue(tagsFound).map((t) => cut(t.trim(), TAG_MAX).trim()))];
    out.tags = tags.filter((t) => t !== '').slice(0, TAGS_MAX);
  }

  const notesFound = first(OWNED.notes);
  const notes = notesFound && cut(langAltValue(notesFound) ?? '', NOTES_MAX);
  if (notes) out.notes = notes;

  if (complete) {
    out.rating ??= null;
    out.event ??= null;
    out.location ??= null;
    out.tags ??= [];
    out.notes ??= null;
  }
  return out;
}

/** At most `max` UTF-16 units (the schema's measure), never splitting a surrogate pair. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = /[\uD800-\uDBFF]/.test(s[max - 1]!) ? max - 1 : max;
  return s.slice(0, end);
}
