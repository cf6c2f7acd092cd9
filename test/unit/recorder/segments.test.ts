import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SegmentListReader, parseSegmentList } from '../../../src/recorder/segments.js';

// What ffmpeg 6 writes with `-segment_list_type csv` (1 s MPEG-TS ring, `%06d.ts`): one line per
// closed segment, µs precision, the last one shorter when the capture stopped gracefully.
const RING_LIST =
  '000000.ts,0.000000,1.080000\n000001.ts,1.080000,2.080000\n000002.ts,2.080000,3.080000\n000003.ts,3.080000,3.200000\n';

describe('parseSegmentList (ffmpeg csv segment list)', () => {
  it('reads every closed segment of a finished list, in order, paths in the run directory', () => {
    const r = parseSegmentList(RING_LIST, '/shm/cam/ring/run-001', 0);
    assert.deepEqual(
      r.segments.map((s) => [s.index, s.path, s.startS, s.endS]),
      [
        [0, '/shm/cam/ring/run-001/000000.ts', 0, 1.08],
        [1, '/shm/cam/ring/run-001/000001.ts', 1.08, 2.08],
        [2, '/shm/cam/ring/run-001/000002.ts', 2.08, 3.08],
        [3, '/shm/cam/ring/run-001/000003.ts', 3.08, 3.2],
      ],
    );
    assert.equal(r.rest, '');
  });

  it('after kill -9 the truncated last line is no segment (the partial file goes)', () => {
    for (const cut of ['000002.mp4', '000002.mp4,', '000002.mp4,12.000000', '000002.mp4,12.000000,1']) {
      const text = `000000.mp4,0.000000,6.000000\n000001.mp4,6.000000,12.000000\n${cut}`;
      const r = parseSegmentList(text, '/rec', 0);
      assert.deepEqual(
        r.segments.map((s) => s.path),
        ['/rec/000000.mp4', '/rec/000001.mp4'],
        cut,
      );
      assert.equal(r.rest, cut);
    }
  });

  it('CRLF, blank and malformed lines, quoted names with quotes, absolute names, numbering from firstIndex', () => {
    const text =
      '000000.mp4,0.000000,6.000000\r\n\n"say ""hi"", ok.mp4",6.000000,12.000000\nnot a line\n/abs/x.mp4,12,18\n';
    const r = parseSegmentList(text, '/rec', 7);
    assert.deepEqual(r.segments, [
      { index: 7, path: '/rec/000000.mp4', startS: 0, endS: 6 },
      { index: 8, path: '/rec/say "hi", ok.mp4', startS: 6, endS: 12 },
      { index: 9, path: '/abs/x.mp4', startS: 12, endS: 18 },
    ]);
  });
});

describe('SegmentListReader', () => {
  it('follows the growing list: each segment once, a half-written line when it is complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seglist-'));
    const list = join(dir, 'list.csv');
    const reader = new SegmentListReader(list, dir);
    assert.deepEqual(await reader.poll(), [], 'no list yet');
    writeFileSync(list, '000000.ts,0.000000,1.080000\n000001.ts,1.08');
    assert.deepEqual(
      (await reader.poll()).map((s) => s.index),
      [0],
    );
    assert.deepEqual(await reader.poll(), []);
    appendFileSync(list, '0000,2.080000\n000002.ts,2.080000,3.080000\n');
    assert.deepEqual(
      (await reader.poll()).map((s) => [s.index, s.path, s.startS, s.endS]),
      [
        [1, join(dir, '000001.ts'), 1.08, 2.08],
        [2, join(dir, '000002.ts'), 2.08, 3.08],
      ],
    );
  });
});
