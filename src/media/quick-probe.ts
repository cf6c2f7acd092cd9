/**
 * Before ffprobe: a look at the file's first bytes. An MP4/MOV is read in-process (isobmff.ts);
 * a binary file that starts like no container Outpost reads is known to be unreadable without
 * starting a process; everything else (MPEG-TS, AVI, Matroska, audio, text such as a playlist
 * under a video's name) is ffprobe's to judge.
 */
import { open } from 'node:fs/promises';
import { mediaTypeOf } from '../core/media-types.js';
import type { FfOutput } from './ffprobe-json.js';
import { readIsoBmff } from './isobmff.js';

export type Sniffed =
  'isobmff' | 'mpegts' | 'riff' | 'matroska' | 'mpeg-ps' | 'mpeg-audio' | 'flac' | 'ogg' | 'text';

const HEAD = 4096;
const QT_FIRST = new Set(['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot', 'uuid', 'styp']);

function isText(head: Buffer): boolean {
  const n = Math.min(head.length, 512);
  if (n === 0) return false;
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i]!;
    if (b === 0) return false;
    if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) odd++;
  }
  return odd * 50 < n;
}

/** What the first bytes of a file say it is; undefined: no container Outpost reads. */
export function sniffContainer(head: Buffer): Sniffed | undefined {
  const ascii = (from: number, to: number): string => head.toString('latin1', from, to);
  if (head.length >= 8 && QT_FIRST.has(ascii(4, 8))) return 'isobmff';
  if (head[0] === 0x47 && (head.length < 189 || head[188] === 0x47)) return 'mpegts';
  if (head[4] === 0x47 && (head.length < 197 || head[196] === 0x47)) return 'mpegts';
  if (ascii(0, 4) === 'RIFF') return 'riff';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return 'matroska';
  if (head.length >= 4 && head.readUInt32BE(0) >>> 8 === 0x000001) return 'mpeg-ps';
  if (ascii(0, 3) === 'ID3' || (head[0] === 0xff && ((head[1] ?? 0) & 0xe0) === 0xe0)) return 'mpeg-audio';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (isText(head)) return 'text';
  return undefined;
}

export type QuickProbe =
  /** Read in-process: what ffprobe would have printed. */
  | { kind: 'read'; out: FfOutput }
  /** A video's name on bytes that are no container at all (random, zeros, a different kind of file). */
  | { kind: 'not-media'; head: string }
  /** ffprobe decides. */
  | { kind: 'ask-ffprobe' };

/**
 * The in-process look at `path`. Never throws: a file it cannot open is left to ffprobe, which
 * reports the problem in its own words.
 */
export async function quickProbe(path: string): Promise<QuickProbe> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return { kind: 'ask-ffprobe' };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { kind: 'ask-ffprobe' };
    const head = Buffer.alloc(Math.min(HEAD, st.size));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const sniffed = sniffContainer(head.subarray(0, bytesRead));
    if (sniffed === 'isobmff') {
      const out = await readIsoBmff(fh, st.size);
      return out ? { kind: 'read', out } : { kind: 'ask-ffprobe' };
    }
    // Audio formats start in more ways than a sniff knows (an MP3 after junk bytes): ffprobe looks.
    if (sniffed === undefined && bytesRead >= 16 && mediaTypeOf(path) === 'video')
      return { kind: 'not-media', head: head.subarray(0, 8).toString('hex') };
    return { kind: 'ask-ffprobe' };
  } catch {
    return { kind: 'ask-ffprobe' };
  } finally {
    await fh.close().catch(() => undefined);
  }
}
