import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../adapters/fs-atomic.js';
import type { IndicatorViews } from '../core/indicators.js';
import type { UplinkStatus } from '../uplink/runner.js';

/** What the station writes every second for `outpost status`. */
export interface StatusFile {
  node: string;
  time: string;
  pid: number;
  library: { label: string; root: string } | null;
  indicators: IndicatorViews;
  uplink: UplinkStatus | null;
}

export async function writeStatusFile(path: string, s: StatusFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(s)}\n`);
}

export async function readStatusFile(path: string): Promise<StatusFile | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as StatusFile;
  } catch {
    return undefined;
  }
}
