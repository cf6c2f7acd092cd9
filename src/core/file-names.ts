import { isUnsafeCodePoint } from './text.js';

/**
 * File names on a card are bytes, not text: a camera, a PC or a damaged FAT may leave a name that
 * is not UTF-8 (`bad\xff\xfe.jpg`) or that holds control characters. Such a file is copied like
 * any other (its library name is the capture time and hash anyway); what needs care is the text
 * form of its name, used by the import ledger, `original_name`, warnings, sidecars and the API.
 * That form is the *readable name*:
 *
 * - A plain name (valid UTF-8, no control character, U+FFFE or U+FFFF) is itself. Every
 *   ordinary name is plain, so ledgers written before this rule still match.
 * - Any other name is escaped: each byte that is not part of a valid, printable character
 *   becomes `\xHH` (upper-case hex) and a backslash becomes `\\`; the rest stays as it is.
 *   `bad<FF><FE>utf8.jpg` reads `bad\xFF\xFEutf8.jpg`, `a<TAB>b.jpg` reads `a\x09b.jpg`.
 * - A plain name that would read as an escaped one (typed literally: `bad\xFF.jpg`) is escaped
 *   too (`bad\\xFF.jpg`), so no two files ever share a readable name.
 *
 * The mapping is one-to-one and lossless ({@link nameBytes} undoes {@link readableName}): the
 * ledger's (card, path, size, mtime) key still tells files apart, and clean-up finds the exact
 * file again. Readable names never contain `/`, so a readable card path is the readable names of
 * its segments joined by `/`. Pure.
 */

const SLASH = Buffer.from('/');
const HEX = '0123456789ABCDEF';
/** Characters that may make a name need escaping; a name without any is plain (fast path). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const SUSPECT_RE = /[\u0000-\u001F\u007F-\u009F\\\uFFFD-\uFFFF]/;
// eslint-disable-next-line no-control-regex -- as above
const UNSAFE_RE = /[\u0000-\u001F\u007F-\u009F\uFFFE\uFFFF]/;
/** Text made only of characters, `\\` and `\xHH`: the shape of an escaped name. */
const ESCAPED_RE = /^(?:[^\\]|\\\\|\\x[0-9A-F]{2})*$/su;

const byteEscape = (b: number): string => `\\x${HEX[b >> 4]}${HEX[b & 15]}`;

/** Length of the well-formed UTF-8 sequence at `i` (Unicode Table 3-7), 0 when there is none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const b0 = b[i]!;
  if (b0 < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => j < b.length && b[j]! >= lo && b[j]! <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef)
    return cont(i + 1, b0 === 0xe0 ? 0xa0 : 0x80, b0 === 0xed ? 0x9f : 0xbf) && cont(i + 2) ? 3 : 0;
  if (b0 >= 0xf0 && b0 <= 0xf4)
    return cont(i + 1, b0 === 0xf0 ? 0x90 : 0x80, b0 === 0xf4 ? 0x8f : 0xbf) && cont(i + 2) && cont(i + 3)
      ? 4
      : 0;
  return 0;
}

/** The text of `bytes` when they are well-formed UTF-8, else undefined. */
function strictText(bytes: Uint8Array): string | undefined {
  for (let i = 0; i < bytes.length;) {
    const n = sequenceLength(bytes, i);
    if (n === 0) return undefined;
    i += n;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
}

function escapeAll(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const n = sequenceLength(bytes, i);
    if (n === 0) {
      out += byteEscape(bytes[i]!);
      i++;
      continue;
    }
    const ch = Buffer.from(bytes.buffer, bytes.byteOffset + i, n).toString('utf8');
    if (isUnsafeCodePoint(ch.codePointAt(0)!)) for (let j = i; j < i + n; j++) out += byteEscape(bytes[j]!);
    else out += ch === '\\' ? '\\\\' : ch;
    i += n;
  }
  return out;
}

function unescape(s: string): Buffer {
  const parts: Buffer[] = [];
  let plain = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      plain += s[i];
      continue;
    }
    if (s[i + 1] === '\\') {
      plain += '\\';
      i++;
      continue;
    }
    parts.push(Buffer.from(plain, 'utf8'), Buffer.of(parseInt(s.slice(i + 2, i + 4), 16)));
    plain = '';
    i += 3;
  }
  parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

/** Does this (valid) text need escaping to be a readable name? */
function textNeedsEscape(s: string): boolean {
  return UNSAFE_RE.test(s) || isEscapedForm(s);
}

/** Do these bytes need escaping? (Recursion ends: each level has fewer backslashes.) */
function bytesNeedEscape(bytes: Uint8Array): boolean {
  const text = strictText(bytes);
  return text === undefined || textNeedsEscape(text);
}

/** Is `s` the readable name of an escaped name (rather than a plain name)? */
function isEscapedForm(s: string): boolean {
  return s.includes('\\') && ESCAPED_RE.test(s) && bytesNeedEscape(unescape(s));
}

/** The readable name of a name given as bytes. */
export function readableName(bytes: Uint8Array): string {
  if (bytesNeedEscape(bytes)) return escapeAll(bytes);
  return strictText(bytes)!;
}

/**
 * The readable name of a name the file system gave as text. Only correct for text that was
 * valid UTF-8 on disk: a name Node decoded with replacement characters (U+FFFD) lost bytes, and
 * must be read again as a Buffer ({@link mayHaveLostBytes}).
 */
export function readableNameOfText(name: string): string {
  if (!SUSPECT_RE.test(name) || !textNeedsEscape(name)) return name;
  return escapeAll(Buffer.from(name, 'utf8'));
}

/** True when Node's UTF-8 decoding of a name may have replaced bytes (list the folder as Buffers). */
export function mayHaveLostBytes(name: string): boolean {
  return name.includes('\uFFFD');
}

/** The bytes of the name whose readable name is `readable` (the inverse of {@link readableName}). */
export function nameBytes(readable: string): Buffer {
  return isEscapedForm(readable) ? unescape(readable) : Buffer.from(readable, 'utf8');
}

/** True when the name behind `readable` must be addressed by its bytes (not plain text). */
export function isEscapedName(readable: string): boolean {
  return isEscapedForm(readable);
}

/**
 * The file-system path of a card file: `root` joined with the card-relative readable path.
 * A string when every segment is plain text, else the exact bytes (Node's fs takes both).
 */
export function cardFilePath(root: string, relPath: string): string | Buffer {
  const segments = relPath.split('/');
  if (!segments.some(isEscapedForm)) return `${root}/${relPath}`;
  const parts: Buffer[] = [Buffer.from(root, 'utf8')];
  for (const s of segments) parts.push(SLASH, nameBytes(s));
  return Buffer.concat(parts);
}

/** `dir/name` for fs calls, as text while both are plain, else as bytes. */
export function childPath(dir: string | Buffer, name: string | Buffer): string | Buffer {
  if (typeof dir === 'string' && typeof name === 'string') return `${dir}/${name}`;
  return Buffer.concat([toBytes(dir), SLASH, toBytes(name)]);
}

const toBytes = (p: string | Buffer): Buffer => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p);

/** A path for messages and logs: the readable name of every segment. */
export function readablePath(p: string | Buffer): string {
  if (typeof p === 'string') return p;
  const segments: string[] = [];
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i < p.length && p[i] !== 0x2f) continue;
    segments.push(readableName(p.subarray(start, i)));
    start = i + 1;
  }
  return segments.join('/');
}
