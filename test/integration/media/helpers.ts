import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { nodeProcessRunner } from '../../../src/adapters/process-runner.js';

export { CORPUS_PHOTOS } from '../../kit/paths.js';

/** Every file under `dir`, recursively, sorted. */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

export type OracleRecord = Record<string, unknown>;

/**
 * Debian's ExifTool as an independent oracle: `-json -n -G1` over many files in one run,
 * keyed by SourceFile. Keys look like `IFD0:Make`, `ExifIFD:DateTimeOriginal`.
 */
export async function exiftoolOracle(files: string[], tags: string[]): Promise<Map<string, OracleRecord>> {
  const res = await nodeProcessRunner.run(
    'exiftool',
    ['-json', '-n', '-G1', ...tags.map((t) => `-${t}`), ...files],
    {
      timeoutMs: 120_000,
    },
  );
  const parsed = JSON.parse(res.stdout.toString('utf8')) as OracleRecord[];
  return new Map(parsed.map((r) => [String(r.SourceFile), r]));
}

/** `YYYY:MM:DD HH:MM:SS` as ExifTool prints it → `YYYY-MM-DDTHH:MM:SS`. */
export function oracleLocal(v: unknown): string {
  const s = String(v);
  return `${s.slice(0, 10).replaceAll(':', '-')}T${s.slice(11, 19)}`;
}

export async function isJpegFile(p: string): Promise<boolean> {
  const b = await readFile(p);
  return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
}

export async function isWebpFile(p: string): Promise<boolean> {
  const b = await readFile(p);
  return b.length > 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP';
}

/** Decoded dimensions of an image file (a full decode, so a broken file throws). */
export async function decodedSize(p: string): Promise<{ width: number; height: number }> {
  const { info } = await sharp(p).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height };
}
