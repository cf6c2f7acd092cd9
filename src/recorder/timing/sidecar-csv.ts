/**
 * The text of the files kept beside each recording: `<recording>.frames.csv` (one row per frame)
 * and `<recording>.ttl.csv` (TTL pulses sent and edges seen during it). Pure.
 */
import type { SegmentFrame } from './frame-split.js';

export const FRAMES_HEADER = 'frame,pts_s,camera_s,wall_ms';
export const TTL_HEADER = 'kind,chip,line,edge,kernel_ns,wall_ms,frame,pts_s';

export function framesCsv(rows: readonly SegmentFrame[]): string {
  const lines = [FRAMES_HEADER];
  for (const r of rows)
    lines.push(`${r.frame},${r.ptsS.toFixed(6)},${r.cameraS.toFixed(6)},${r.wallMs.toFixed(3)}`);
  return `${lines.join('\n')}\n`;
}

/** A TTL event placed on the recording's frames. */
export interface TtlRow {
  /** `out`: a pulse this station sent; `in`: an edge it saw. */
  kind: 'out' | 'in';
  chip: string;
  line: number;
  edge: 'rising' | 'falling';
  /** The kernel's timestamp of an input edge (gpiomon), ns, as printed (clock per `docs`); empty for pulses. */
  kernelNs?: string | undefined;
  wallMs: number;
  /** The segment's frame current at that instant, and its pts in the segment file. */
  frame: number | undefined;
  ptsS: number | undefined;
}

export function ttlCsv(rows: readonly TtlRow[]): string {
  const lines = [TTL_HEADER];
  for (const r of rows)
    lines.push(
      [
        r.kind,
        r.chip,
        r.line,
        r.edge,
        r.kernelNs ?? '',
        r.wallMs.toFixed(3),
        r.frame ?? '',
        r.ptsS === undefined ? '' : r.ptsS.toFixed(6),
      ].join(','),
    );
  return `${lines.join('\n')}\n`;
}
