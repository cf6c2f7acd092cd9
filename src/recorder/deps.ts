import type { Clock } from '../adapters/clock.js';
import type { Logger } from '../adapters/logger.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { nodeStreamSpawner } from '../adapters/spawn-stream.js';
import type { MediaAnalyzer } from '../media/types.js';
import type { RecorderDeps } from './recorder.js';

/** What a recorder needs, from the CLI's or the station's context (one place for both). */
export function recorderDeps(ctx: {
  /** The `ingest:` config's naming and derivative sizes (recordings are named and derived alike). */
  config: { ingest: { nameTemplate: string; thumbnailSize: number; previewSize: number } };
  runner: ProcessRunner;
  analyzer: MediaAnalyzer;
  clock: Clock;
  log: Logger;
  timeZone: string;
}): RecorderDeps {
  return {
    spawner: nodeStreamSpawner,
    runner: ctx.runner,
    analyzer: ctx.analyzer,
    clock: ctx.clock,
    log: ctx.log,
    timeZone: ctx.timeZone,
    nameTemplate: ctx.config.ingest.nameTemplate,
    thumbnailSize: ctx.config.ingest.thumbnailSize,
    previewSize: ctx.config.ingest.previewSize,
  };
}
