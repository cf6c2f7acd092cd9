/**
 * derivRatio: our photo derivatives (WebP thumbnail + JPEG preview + pHash, written
 * atomically) in images/s, divided by `vipsthumbnail` making ONE preview-size JPEG per image,
 * on the same 12-MP JPEGs in the same run. The baseline is the faster of vipsthumbnail in one
 * process and in one process per core, so the ratio is not flattered by our parallelism.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { nodeProcessRunner } from '../../src/adapters/process-runner.js';
import { createMediaAnalyzer } from '../../src/media/analyzer.js';
import { photosDir } from '../../test/kit/generated-media.js';
import { timed } from './proc.js';

export interface DeriveRatioOptions {
  /** Number of 12-MP JPEGs (default 200). */
  count?: number;
  /** Scratch directory (sources, our outputs, vipsthumbnail outputs). */
  workDir: string;
  log?: (s: string) => void;
}

export interface DeriveRatio {
  imagesPerSec: number;
  vipsImagesPerSec: number;
  derivRatio: number;
  /** Peak RSS of this process while deriving (MB). */
  peakRssMB: number;
}

const THUMB = 320;
const PREVIEW = 1600;
const WIDTH = 4000;
const HEIGHT = 3000;

/**
 * Photos big enough to upscale into believable 12-MP frames: from the real-camera corpus when
 * `../shared/corpus` is there, else the test kit's generated stand-ins (same names).
 */
function corpusSources(): string[] {
  const photos = photosDir();
  const pick = (dir: string, filter: (f: string) => boolean): string[] =>
    readdirSync(join(photos, dir))
      .filter(filter)
      .sort()
      .map((f) => join(photos, dir, f));
  return [
    ...pick('gps', (f) => f.endsWith('.jpg')),
    ...pick('mobile', (f) => f.endsWith('.jpg')),
    ...pick('orientation', (f) => f === 'landscape_1.jpg' || f === 'portrait_1.jpg'),
    ...pick('.', (f) => f === 'Reconyx_HC500_Hyperfire.jpg'),
  ];
}

/**
 * Make the 4000x3000 test frames in a child process: generating them is memory-hungry, and
 * this process's RSS must reflect deriving, not the set-up. Each frame is a different crop,
 * tint and brightness of a corpus photo, so no two are identical.
 */
async function makeFrames(jobs: { src: string; out: string }[], concurrency: number): Promise<void> {
  const script = `
    const sharp = (await import(${JSON.stringify(import.meta.resolve('sharp'))})).default;
    const jobs = JSON.parse(process.argv[1]);
    let next = 0;
    async function frame(src, out, i) {
      const m = await sharp(src).metadata();
      const w = m.width ?? 0, h = m.height ?? 0;
      const f = 0.8 + ((i * 7) % 21) / 100;
      const cw = Math.max(1, Math.floor(w * f)), ch = Math.max(1, Math.floor(h * f));
      const left = Math.floor(((w - cw) * ((i * 13) % 10)) / 9);
      const top = Math.floor(((h - ch) * ((i * 17) % 10)) / 9);
      await sharp(src, { autoOrient: true })
        .extract({ left, top, width: cw, height: ch })
        .resize(${WIDTH}, ${HEIGHT}, { fit: 'cover' })
        .modulate({ brightness: 0.85 + ((i * 11) % 31) / 100, hue: (i * 23) % 360 })
        .jpeg({ quality: 90, mozjpeg: false })
        .toFile(out);
    }
    await Promise.all(Array.from({ length: ${concurrency} }, async () => {
      while (next < jobs.length) { const i = next++; await frame(jobs[i].src, jobs[i].out, i); }
    }));
  `;
  const r = await timed(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(jobs)]);
  if (r.code !== 0) throw new Error(`making test frames failed: ${r.stderr}`);
}

async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

function rssSampler(): { stop: () => number } {
  let peak = process.memoryUsage().rss;
  const iv = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  return {
    stop: () => {
      clearInterval(iv);
      return Math.max(peak, process.memoryUsage().rss) / (1024 * 1024);
    },
  };
}

async function ours(
  files: string[],
  outDir: string,
  concurrency: number,
): Promise<{ seconds: number; rssMB: number }> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const analyzer = createMediaAnalyzer({ runner: nodeProcessRunner });
  const rss = rssSampler();
  const t0 = performance.now();
  await pool(files, concurrency, async (file, i) => {
    const res = await analyzer.derive(
      file,
      'photo',
      {
        thumbPath: join(outDir, `${i}-thumb.webp`),
        previewPath: join(outDir, `${i}-preview.jpg`),
        posterPath: join(outDir, `${i}-poster.jpg`),
      },
      { thumbSize: THUMB, previewSize: PREVIEW },
    );
    if (!res.thumb || !res.preview || !res.phash) {
      throw new Error(`derive failed for ${file}: ${JSON.stringify(res.warnings)}`);
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, rssMB: rss.stop() };
}

/** vipsthumbnail over `files` split into `processes` concurrent invocations of batches. */
async function vips(files: string[], outDir: string, processes: number): Promise<number> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const BATCH = 50;
  const lanes: string[][] = Array.from({ length: processes }, () => []);
  files.forEach((f, i) => lanes[i % processes]?.push(f));
  const t0 = performance.now();
  await Promise.all(
    lanes.map(async (lane) => {
      for (let i = 0; i < lane.length; i += BATCH) {
        const r = await timed('vipsthumbnail', [
          '--size',
          String(PREVIEW),
          '-o',
          `${outDir}/%s.jpg[Q=${82}]`,
          ...lane.slice(i, i + BATCH),
        ]);
        if (r.code !== 0) throw new Error(`vipsthumbnail failed: ${r.stderr}`);
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

export async function measureDeriveRatio(opts: DeriveRatioOptions): Promise<DeriveRatio> {
  const count = opts.count ?? 200;
  const log = opts.log ?? ((): void => undefined);
  const srcDir = join(opts.workDir, 'src');
  mkdirSync(srcDir, { recursive: true });
  const sources = corpusSources();
  if (sources.length === 0) throw new Error('no corpus photos found for the derive benchmark');

  log(`  making ${count} ${WIDTH}x${HEIGHT} JPEGs`);
  const files = Array.from({ length: count }, (_, i) =>
    join(srcDir, `frame-${String(i).padStart(4, '0')}.jpg`),
  );
  const cores = Math.max(1, cpus().length);
  await makeFrames(
    files.map((out, i) => ({ src: sources[i % sources.length] as string, out })),
    cores,
  );

  // Sources were just written: both sides read them from the page cache.
  const cores2 = Math.min(2, cores);
  const concurrencies = [...new Set([1, cores2, cores])];
  let bestOurs = Infinity;
  let peakRssMB = 0;
  for (const c of concurrencies) {
    const r = await ours(files, join(opts.workDir, 'ours'), c);
    log(
      `  ours, concurrency ${c}: ${round2(count / r.seconds)} images/s (peak RSS ${Math.round(r.rssMB)} MB)`,
    );
    if (r.seconds < bestOurs) {
      bestOurs = r.seconds;
      peakRssMB = r.rssMB;
    }
  }
  let bestVips = Infinity;
  for (const p of [...new Set([1, cores2])]) {
    const s = await vips(files, join(opts.workDir, 'vips'), p);
    log(`  vipsthumbnail, ${p} process(es): ${round2(count / s)} images/s`);
    bestVips = Math.min(bestVips, s);
  }
  const imagesPerSec = count / bestOurs;
  const vipsImagesPerSec = count / bestVips;
  return {
    imagesPerSec,
    vipsImagesPerSec,
    derivRatio: round2(imagesPerSec / vipsImagesPerSec),
    peakRssMB: Math.round(peakRssMB),
  };
}
