import { systemClock } from '../../src/adapters/clock.js';
import { createLogger } from '../../src/adapters/logger.js';
import { nodeProcessRunner } from '../../src/adapters/process-runner.js';
import { nodeStreamSpawner } from '../../src/adapters/spawn-stream.js';
import { DEFAULT_NAME_TEMPLATE } from '../../src/core/naming.js';
import { createMediaAnalyzer } from '../../src/media/analyzer.js';
import type { RecorderDeps } from '../../src/recorder/recorder.js';

/** A recorder's real parts (ffmpeg, ffprobe, the system clock), silent, filing by UTC. */
export function realRecorderDeps(o: { thumbnailSize?: number } = {}): RecorderDeps {
  return {
    spawner: nodeStreamSpawner,
    runner: nodeProcessRunner,
    analyzer: createMediaAnalyzer({ runner: nodeProcessRunner }),
    clock: systemClock,
    log: createLogger('silent'),
    timeZone: 'UTC',
    nameTemplate: DEFAULT_NAME_TEMPLATE,
    thumbnailSize: o.thumbnailSize ?? 160,
    previewSize: 640,
  };
}
