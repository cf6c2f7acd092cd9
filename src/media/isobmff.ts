/**
 * MP4/MOV facts read in-process: the `moov` box holds everything ffprobe would tell about a
 * camera's clip (duration, codecs, size, rotation, creation time, Apple's keys, GPS), and reading
 * it costs a few small reads instead of an ffprobe process (~0.2 s of CPU each, on the cores the
 * copy needs). The result is shaped like ffprobe's JSON so one parser (ffprobe.ts) turns both into
 * MediaFacts. Anything this does not know for sure (fragmented files, unknown codecs, a broken box
 * tree) returns undefined and the caller asks ffprobe.
 */
import type { FileHandle } from 'node:fs/promises';
import type { FfOutput, FfStream } from './ffprobe-json.js';

/** What ffprobe's `mov` demuxer names its format, whatever the brand. */
export const MOV_FORMAT_NAME = 'mov,mp4,m4a,3gp,3g2,mj2';
/** Larger `moov` boxes (hours of video with per-sample tables) are left to ffprobe. */
const MAX_MOOV = 32 * 1024 * 1024;
/** Top-level boxes a QuickTime or ISO-BMFF file may start with. */
const FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot', 'uuid', 'styp']);
/** Seconds from 1904-01-01 (QuickTime's epoch) to 1970-01-01. */
const EPOCH_1904 = 2_082_844_800;

/** Sample-entry codes → ffprobe's codec names (mp4a/mp4v are decided by their esds). */
const VIDEO_CODECS: Record<string, string> = {
  avc1: 'h264',
  avc3: 'h264',
  hvc1: 'hevc',
  hev1: 'hevc',
  av01: 'av1',
  vp09: 'vp9',
  jpeg: 'mjpeg',
  mjpa: 'mjpeg',
  mjpb: 'mjpeg',
  apcn: 'prores',
  apch: 'prores',
  apcs: 'prores',
  apco: 'prores',
  ap4h: 'prores',
  ap4x: 'prores',
  s263: 'h263',
  h263: 'h263',
};
const AUDIO_CODECS: Record<string, string> = {
  sowt: 'pcm_s16le',
  twos: 'pcm_s16be',
  ulaw: 'pcm_mulaw',
  alaw: 'pcm_alaw',
  'ac-3': 'ac3',
  'ec-3': 'eac3',
  alac: 'alac',
  Opus: 'opus',
  fLaC: 'flac',
  samr: 'amr_nb',
  sawb: 'amr_wb',
  '.mp3': 'mp3',
};
/** MPEG-4 objectTypeIndication (esds) → codec name. */
const OBJECT_TYPES: Record<number, string> = {
  0x20: 'mpeg4',
  0x21: 'h264',
  0x40: 'aac',
  0x66: 'aac',
  0x67: 'aac',
  0x68: 'aac',
  0x69: 'mp3',
  0x6b: 'mp3',
  0x6c: 'mjpeg',
};

interface Box {
  type: string;
  /** The box's payload (after its header). */
  body: Buffer;
}

function isBoxType(t: string): boolean {
  return /^[\x20-\x7e\xa9]{4}$/.test(t);
}

/** The child boxes of `buf` (a box's payload from `from`); undefined when they do not add up. */
export function children(buf: Buffer, from = 0, anyType = false): Box[] | undefined {
  const out: Box[] = [];
  let o = from;
  while (o + 8 <= buf.length) {
    let size = buf.readUInt32BE(o);
    const type = buf.toString('latin1', o + 4, o + 8);
    let header = 8;
    if (size === 1) {
      if (o + 16 > buf.length) return undefined;
      size = Number(buf.readBigUInt64BE(o + 8));
      header = 16;
    } else if (size === 0) size = buf.length - o;
    if (size < header || o + size > buf.length || !(anyType || isBoxType(type))) return undefined;
    out.push({ type, body: buf.subarray(o + header, o + size) });
    o += size;
  }
  // A few trailing zero bytes (a QuickTime terminator) are fine; anything else is not a box tree.
  return o === buf.length || buf.subarray(o).every((b) => b === 0) ? out : undefined;
}

function child(boxes: Box[] | undefined, type: string): Box | undefined {
  return boxes?.find((b) => b.type === type);
}

function kids(box: Box | undefined, from = 0): Box[] | undefined {
  return box ? children(box.body, from) : undefined;
}

/** An instant in QuickTime seconds → ffprobe's `creation_time` text; 0 (unset) → undefined. */
function creationTime(secs: number): string | undefined {
  if (secs <= 0) return undefined;
  const ms = (secs - EPOCH_1904) * 1000;
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  return `${new Date(ms).toISOString().slice(0, 19)}.000000Z`;
}

/** mvhd / mdhd: version 0 has 32-bit times and duration, version 1 64-bit. */
function header(b: Buffer): { created: number; timescale: number; duration: number } | undefined {
  const v = b[0];
  if (v === 0 && b.length >= 20)
    return { created: b.readUInt32BE(4), timescale: b.readUInt32BE(12), duration: b.readUInt32BE(16) };
  if (v === 1 && b.length >= 32)
    return {
      created: Number(b.readBigUInt64BE(4)),
      timescale: b.readUInt32BE(20),
      duration: Number(b.readBigUInt64BE(24)),
    };
  return undefined;
}

/** tkhd's display matrix → ffprobe's side-data rotation (counter-clockwise degrees). */
function rotation(tkhd: Buffer): number | undefined {
  const at = tkhd[0] === 1 ? 4 + 32 + 16 : 4 + 20 + 16;
  if (tkhd.length < at + 36) return undefined;
  const a = tkhd.readInt32BE(at) / 65536;
  const b = tkhd.readInt32BE(at + 4) / 65536;
  const cw = Math.round((Math.atan2(b, a) * 180) / Math.PI);
  return cw === 0 ? undefined : -cw;
}

/** The objectTypeIndication inside an esds box's ES_Descriptor, and its DecoderSpecificInfo. */
function decoderConfig(esds: Buffer): { oti: number; specific?: Buffer } | undefined {
  let o = 4;
  const len = (): number => {
    let n = 0;
    for (let i = 0; i < 4 && o < esds.length; i++) {
      const b = esds[o++]!;
      n = (n << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return n;
  };
  if (esds[o++] !== 0x03) return undefined;
  len();
  o += 2;
  const flags = esds[o++] ?? 0;
  if (flags & 0x80) o += 2;
  if (flags & 0x40) o += 1 + (esds[o] ?? 0);
  if (flags & 0x20) o += 2;
  if (esds[o++] !== 0x04) return undefined;
  const end = len() + o;
  const oti = esds[o];
  if (oti === undefined) return undefined;
  o += 13;
  if (o < end && esds[o++] === 0x05) {
    const n = len();
    return { oti, specific: esds.subarray(o, Math.min(o + n, esds.length)) };
  }
  return { oti };
}

function objectType(esds: Buffer): number | undefined {
  return decoderConfig(esds)?.oti;
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/**
 * AAC's AudioSpecificConfig, where ffprobe takes its rate and channels from (the sample entry's
 * may say 2 for a mono stream). HE-AAC (SBR/PS) and explicit rates: undefined, ffprobe decides.
 */
function aacConfig(asc: Buffer | undefined): { rate: number; channels: number } | undefined {
  if (!asc || asc.length < 2) return undefined;
  const bits = asc.readUInt16BE(0);
  const type = bits >> 11;
  const rate = AAC_RATES[(bits >> 7) & 0xf];
  const channels = (bits >> 3) & 0xf;
  if (type === 5 || type === 29 || type === 31 || !rate || channels < 1 || channels > 7) return undefined;
  return { rate, channels: channels === 7 ? 8 : channels };
}

/** A QuickTime `©xxx` udta string: 16-bit length, 16-bit language, text. */
function qtString(b: Buffer): string | undefined {
  if (b.length < 4) return undefined;
  const n = b.readUInt16BE(0);
  if (4 + n > b.length) return undefined;
  return b.toString('utf8', 4, 4 + n).replace(/\0+$/, '');
}

/** 3GPP `loci` (what ffmpeg's mp4 muxer writes for `location`), as ffprobe prints it. */
function loci(b: Buffer): string | undefined {
  let o = 6;
  while (o < b.length && b[o] !== 0) o++;
  o += 2;
  if (o + 12 > b.length) return undefined;
  const lon = b.readInt32BE(o) / 65536;
  const lat = b.readInt32BE(o + 4) / 65536;
  const alt = b.readInt32BE(o + 8) / 65536;
  const sign = (v: number, w: number): string =>
    `${v < 0 ? '-' : '+'}${Math.abs(v)
      .toFixed(4)
      .padStart(w - 1, '0')}`;
  return `${sign(lat, 8)}${sign(lon, 9)}${alt ? `${alt < 0 ? '-' : '+'}${Math.abs(alt).toFixed(6)}` : ''}/`;
}

/** iTunes-style `mdir` items ffprobe turns into tags Outpost reads. */
const MDIR_TAGS: Record<string, string> = { '\xa9day': 'date', '\xa9xyz': 'location' };

/**
 * A `meta` box (in moov, or in udta where ffmpeg writes it): Apple's `mdta` keys + ilst, or
 * iTunes-style items, as ffprobe's format tags.
 */
function metaTags(meta: Box | undefined, tags: Record<string, string>): void {
  const boxes = kids(meta) ?? kids(meta, 4);
  const keys = child(boxes, 'keys')?.body;
  if (!keys) {
    for (const item of kids(child(boxes, 'ilst')) ?? []) {
      const data = child(children(item.body), 'data')?.body;
      const key = MDIR_TAGS[item.type];
      if (key && data && data.length >= 8 && data.readUInt32BE(0) === 1)
        tags[key] = data.toString('utf8', 8).replace(/\0+$/, '');
    }
    return;
  }
  // ilst's children are named by their key's 1-based index, a binary number.
  const list = child(boxes, 'ilst');
  const ilst = list ? children(list.body, 0, true) : undefined;
  if (!ilst || keys.length < 8) return;
  const names: string[] = [];
  let o = 8;
  for (let i = keys.readUInt32BE(4); i > 0 && o + 8 <= keys.length; i--) {
    const size = keys.readUInt32BE(o);
    if (size < 8 || o + size > keys.length) return;
    names.push(keys.toString('utf8', o + 8, o + size));
    o += size;
  }
  for (const entry of ilst) {
    const name = names[Buffer.from(entry.type, 'latin1').readUInt32BE(0) - 1];
    const data = child(children(entry.body), 'data')?.body;
    // Type 1: UTF-8 text, the type of every key Outpost reads.
    if (name && data && data.length >= 8 && data.readUInt32BE(0) === 1)
      tags[name] = data.toString('utf8', 8).replace(/\0+$/, '');
  }
}

/** Frames per second from stts as ffprobe's avg_frame_rate: frames ÷ media duration. */
function frameRate(stts: Buffer | undefined, timescale: number): string | undefined {
  if (!stts || stts.length < 8 || timescale <= 0) return undefined;
  let frames = 0;
  let ticks = 0;
  const n = stts.readUInt32BE(4);
  for (let i = 0, o = 8; i < n && o + 8 <= stts.length; i++, o += 8) {
    frames += stts.readUInt32BE(o);
    ticks += stts.readUInt32BE(o) * stts.readUInt32BE(o + 4);
  }
  return frames > 0 && ticks > 0 ? `${frames * timescale}/${ticks}` : undefined;
}

type Track = FfStream | 'other' | undefined;

function track(trak: Box): Track {
  const tk = kids(trak);
  const mdia = kids(child(tk, 'mdia'));
  const hdlr = child(mdia, 'hdlr')?.body;
  const mdhd = child(mdia, 'mdhd')?.body;
  const md = mdhd ? header(mdhd) : undefined;
  if (!hdlr || hdlr.length < 12 || !md) return undefined;
  const handler = hdlr.toString('latin1', 8, 12);
  if (handler !== 'vide' && handler !== 'soun') return 'other';
  const stbl = kids(child(kids(child(mdia, 'minf')), 'stbl'));
  const stsd = child(stbl, 'stsd')?.body;
  if (!stsd || stsd.length < 16) return undefined;
  const entry = stsd.subarray(8, 8 + stsd.readUInt32BE(8));
  const format = entry.toString('latin1', 4, 8);
  const stream: FfStream = { tags: {} };
  const created = creationTime(md.created);
  if (created) stream.tags!.creation_time = created;
  if (md.timescale > 0) stream.duration = String(md.duration / md.timescale);
  if (handler === 'vide') {
    if (entry.length < 8 + 78) return undefined;
    const esds = child(children(entry, 8 + 78), 'esds')?.body;
    const name =
      VIDEO_CODECS[format] ?? (format === 'mp4v' && esds ? OBJECT_TYPES[objectType(esds) ?? 0] : undefined);
    if (!name) return undefined;
    Object.assign(stream, {
      codec_type: 'video',
      codec_name: name,
      width: entry.readUInt16BE(8 + 24),
      height: entry.readUInt16BE(8 + 26),
    });
    const fps = frameRate(child(stbl, 'stts')?.body, md.timescale);
    if (fps) stream.avg_frame_rate = fps;
    const tkhd = child(tk, 'tkhd')?.body;
    const rot = tkhd ? rotation(tkhd) : undefined;
    if (rot !== undefined) stream.side_data_list = [{ rotation: rot }];
    return stream;
  }
  // Sound sample entry: QuickTime versions 0/1 (16.16 rate) and 2 (float64 rate).
  if (entry.length < 8 + 28) return undefined;
  const version = entry.readUInt16BE(8);
  const ext = version === 1 ? 16 : version === 2 ? 36 : 0;
  let channels = entry.readUInt16BE(8 + 16);
  let rate = entry.readUInt32BE(8 + 24) / 65536;
  if (version === 2) {
    if (entry.length < 8 + 64) return undefined;
    rate = entry.readDoubleBE(8 + 32);
    channels = entry.readUInt32BE(8 + 40);
  }
  const boxes = children(entry, 8 + 28 + ext) ?? [];
  const esds = child(boxes, 'esds')?.body ?? child(kids(child(boxes, 'wave')), 'esds')?.body;
  const config = format === 'mp4a' && esds ? decoderConfig(esds) : undefined;
  const name = AUDIO_CODECS[format] ?? (config ? OBJECT_TYPES[config.oti] : undefined);
  // MP3's channels are in its frames, not its box: ffprobe reads those.
  if (!name || name === 'mp3') return undefined;
  if (name === 'aac') {
    const aac = aacConfig(config?.specific);
    if (!aac) return undefined;
    ({ rate, channels } = aac);
  }
  Object.assign(stream, { codec_type: 'audio', codec_name: name, channels });
  if (rate > 0) stream.sample_rate = String(Math.round(rate));
  return stream;
}

/**
 * ffprobe-shaped facts from a `moov` box's payload, or undefined when any part of it is beyond
 * what this reads with certainty (fragments, unknown codecs, a broken tree).
 */
export function parseMoov(moov: Buffer, fileSize: number): FfOutput | undefined {
  const boxes = children(moov);
  const mvhd = child(boxes, 'mvhd')?.body;
  const mv = mvhd ? header(mvhd) : undefined;
  if (!boxes || !mv || mv.timescale === 0 || child(boxes, 'mvex')) return undefined;
  const tags: Record<string, string> = {};
  const created = creationTime(mv.created);
  if (created) tags.creation_time = created;
  const streams: FfStream[] = [];
  for (const b of boxes) {
    if (b.type !== 'trak') continue;
    const t = track(b);
    if (t === undefined) return undefined;
    if (t !== 'other') streams.push(t);
  }
  const udta = kids(child(boxes, 'udta'));
  for (const [box, key] of [
    ['\xa9xyz', 'location'],
    ['\xa9mak', 'make'],
    ['\xa9mod', 'model'],
    ['\xa9day', 'date'],
  ] as const) {
    const b = child(udta, box)?.body;
    const v = b ? qtString(b) : undefined;
    if (v) tags[key] = v;
  }
  const lociBox = child(udta, 'loci')?.body;
  const location = lociBox ? loci(lociBox) : undefined;
  if (location && !tags.location) tags.location = location;
  metaTags(child(udta, 'meta'), tags);
  metaTags(child(boxes, 'meta'), tags);
  const duration = mv.duration / mv.timescale;
  const out: FfOutput = { streams, format: { format_name: MOV_FORMAT_NAME, tags } };
  if (duration > 0) {
    out.format!.duration = String(duration);
    out.format!.bit_rate = String(Math.round((fileSize * 8) / duration));
  }
  return out;
}

/** Reads exactly `n` bytes at `pos`, or fewer at the end of the file. */
async function readAt(fh: FileHandle, pos: number, n: number): Promise<Buffer> {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(buf, got, n - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/**
 * Walk a file's top-level boxes to its `moov` and parse it. Undefined: not an MP4/MOV, or one
 * this does not read with certainty (ffprobe decides then).
 */
export async function readIsoBmff(fh: FileHandle, size: number): Promise<FfOutput | undefined> {
  let pos = 0;
  let first = true;
  while (pos + 8 <= size) {
    const h = await readAt(fh, pos, 16);
    if (h.length < 8) return undefined;
    let boxSize = h.readUInt32BE(0);
    const type = h.toString('latin1', 4, 8);
    let headerLen = 8;
    if (boxSize === 1) {
      if (h.length < 16) return undefined;
      boxSize = Number(h.readBigUInt64BE(8));
      headerLen = 16;
    } else if (boxSize === 0) boxSize = size - pos;
    if (first && !FIRST_BOXES.has(type)) return undefined;
    first = false;
    if (!isBoxType(type) || boxSize < headerLen || pos + boxSize > size) return undefined;
    if (type === 'moof') return undefined;
    if (type === 'moov') {
      if (boxSize > MAX_MOOV) return undefined;
      const body = await readAt(fh, pos + headerLen, boxSize - headerLen);
      return body.length === boxSize - headerLen ? parseMoov(body, size) : undefined;
    }
    pos += boxSize;
  }
  return undefined;
}
