/**
 * Follows ffmpeg's segment list (csv: `file,start,end`, one line appended when a segment
 * closes) and turns each line into a closed segment. The parser is pure; the follower polls
 * the file (inotify is unreliable on FUSE/exFAT drives and cheap polling is enough at 4 Hz).
 */
import { open } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { errnoCode } from '../core/errors.js';

export interface ListedSegment {
  /** 0-based position in this run's list. */
  index: number;
  /** Absolute path of the segment file. */
  path: string;
  /** Start and end in the run's output timeline, seconds (ffmpeg's own numbers, µs precision). */
  startS: number;
  endS: number;
}

/**
 * Parse complete csv lines; returns the segments and the unparsed remainder (a line still
 * being written). ffmpeg quotes file names containing commas or quotes (csv rules).
 */
export function parseSegmentList(
  text: string,
  dir: string,
  firstIndex: number,
): { segments: ListedSegment[]; rest: string } {
  const segments: ListedSegment[] = [];
  let rest = text;
  let nl: number;
  while ((nl = rest.indexOf('\n')) >= 0) {
    const line = rest.slice(0, nl).replace(/\r$/, '');
    rest = rest.slice(nl + 1);
    if (!line.trim()) continue;
    const m = /^(?:"((?:[^"]|"")*)"|([^,]*)),([^,]+),([^,]+)$/.exec(line);
    if (!m) continue;
    const name = m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] ?? '');
    const startS = Number(m[3]);
    const endS = Number(m[4]);
    if (!name || !Number.isFinite(startS) || !Number.isFinite(endS)) continue;
    segments.push({
      index: firstIndex + segments.length,
      path: isAbsolute(name) ? name : join(dir, name),
      startS,
      endS,
    });
  }
  return { segments, rest };
}

/** Reads new lines of a growing segment list. */
export class SegmentListReader {
  private offset = 0;
  private rest = '';
  private count = 0;

  constructor(
    private readonly listFile: string,
    private readonly dir: string,
  ) {}

  /** Segments closed since the last call (none when the list does not exist yet). */
  async poll(): Promise<ListedSegment[]> {
    let fh;
    try {
      fh = await open(this.listFile, 'r');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return [];
      throw e;
    }
    let text = '';
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        text += buf.toString('utf8', 0, bytesRead);
      }
    } finally {
      await fh.close();
    }
    const parsed = parseSegmentList(this.rest + text, this.dir, this.count);
    this.rest = parsed.rest;
    this.count += parsed.segments.length;
    return parsed.segments;
  }
}

/** A closed segment is valid when its probe found video with a positive duration. */
export function segmentValid(p: { durationS?: number | undefined; hasVideo: boolean }): boolean {
  return p.hasVideo && (p.durationS ?? 0) > 0;
}
