/**
 * The cameras' on-the-fly settings kept across restarts (`station.cameraSettingsFile`): one JSON
 * object, camera name → overrides, written whole and atomically. A file that cannot be read or
 * parsed is reported and ignored (the config's settings apply), never a reason not to record.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../adapters/fs-atomic.js';
import type { Logger } from '../adapters/logger.js';
import { errnoCode } from '../core/errors.js';
import { cameraPatchSchema, mergePatch, type CameraOverrides } from '../recorder/camera-patch.js';

export async function loadCameraOverrides(path: string, log: Logger): Promise<Map<string, CameraOverrides>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT')
      log.warn({ path, code: errnoCode(e) }, 'camera settings file unreadable; config used');
    return new Map();
  }
  const out = new Map<string, CameraOverrides>();
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    for (const [name, v] of Object.entries(raw ?? {})) {
      const p = cameraPatchSchema.safeParse(v);
      if (p.success) out.set(name, mergePatch({}, p.data));
      else
        log.warn(
          { path, camera: name },
          'camera settings in the file are not valid; config used for this camera',
        );
    }
  } catch {
    log.warn({ path }, 'camera settings file is not JSON; config used');
  }
  return out;
}

export async function saveCameraOverrides(path: string, all: Map<string, CameraOverrides>): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(Object.fromEntries(all), null, 2) + '\n');
}
