import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { OutpostError } from '../core/errors.js';

/** Pure: arguments for libheif's `heif-convert` (Debian libheif-examples) to a JPEG. */
export function heifConvertArgs(input: string, output: string, quality = 92): string[] {
  return ['-q', String(quality), input, output];
}

export interface DecodedHeif {
  /** Upright JPEG of the primary image (libheif applies the HEIF rotation/mirror boxes). */
  jpegPath: string;
  cleanup(): Promise<void>;
}

/**
 * Decode a HEIC/HEIF photo (iPhones and many Android phones) with `heif-convert`, for builds of
 * libvips without an HEVC decoder. Resolves undefined when the tool is missing or fails; the
 * caller reports that as a warning.
 */
export async function decodeHeif(
  runner: ProcessRunner,
  filePath: string,
  signal?: AbortSignal,
): Promise<{ ok: true; decoded: DecodedHeif } | { ok: false; reason: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-heif-'));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const out = join(dir, 'image.jpg');
  try {
    const r = await runner.run('heif-convert', heifConvertArgs(filePath, out), {
      signal,
      timeoutMs: 120_000,
    });
    // Files with several top-level images are written as image-1.jpg, image-2.jpg…: take the first.
    const produced = (await readdir(dir)).filter((n) => n.endsWith('.jpg')).sort();
    if (r.code !== 0 || produced.length === 0) {
      await cleanup();
      return {
        ok: false,
        reason: `heif-convert failed: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`}`,
      };
    }
    return { ok: true, decoded: { jpegPath: join(dir, produced[0]!), cleanup } };
  } catch (e) {
    await cleanup();
    if (e instanceof OutpostError && e.code === 'TOOL_MISSING')
      return { ok: false, reason: 'heif-convert is not installed (apt-get install libheif-examples)' };
    throw e;
  }
}
