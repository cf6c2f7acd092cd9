/**
 * Session manifests on disk: `<dir>/<group>/<session>/manifest-<id>.json`, each written whole and
 * atomically (a reader never sees half a manifest, a crash never leaves one). A conductor that
 * follows a session keeps its manifest up to date as events arrive (written at most twice a
 * second).
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../adapters/fs-atomic.js';
import { OutpostError, errnoCode } from '../core/errors.js';
import type { OffsetSample } from './clock-offset.js';
import { applyClockSample, applyEvent, applyPresence, type SessionManifest } from './manifest.js';
import type { FleetEvent } from './protocol.js';

export const DEFAULT_SESSIONS_DIR = '/var/lib/outpost/fleet/sessions';

export function manifestPath(dir: string, m: Pick<SessionManifest, 'group' | 'name' | 'id'>): string {
  return join(dir, m.group, m.name, `manifest-${m.id}.json`);
}

export async function saveManifest(dir: string, m: SessionManifest): Promise<string> {
  const path = manifestPath(dir, m);
  await mkdir(join(dir, m.group, m.name), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(m, null, 2) + '\n');
  return path;
}

/** Every manifest under `dir`, newest start first. Unreadable files are skipped with their path. */
export async function listManifests(
  dir: string,
): Promise<{ manifests: SessionManifest[]; unreadable: string[] }> {
  const manifests: SessionManifest[] = [];
  const unreadable: string[] = [];
  const ls = async (p: string): Promise<string[]> => {
    try {
      return await readdir(p);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return [];
      throw e;
    }
  };
  for (const g of await ls(dir))
    for (const s of await ls(join(dir, g)))
      for (const f of await ls(join(dir, g, s))) {
        if (!/^manifest-[A-Za-z0-9_-]+\.json$/.test(f)) continue;
        const p = join(dir, g, s, f);
        try {
          manifests.push(JSON.parse(await readFile(p, 'utf8')) as SessionManifest);
        } catch {
          unreadable.push(p);
        }
      }
  manifests.sort((a, b) => b.startAt.localeCompare(a.startAt));
  return { manifests, unreadable };
}

/** A manifest by session id (or a unique prefix of it), or by `<group>/<session>` (its newest). */
export async function findManifest(dir: string, key: string): Promise<SessionManifest> {
  const { manifests } = await listManifests(dir);
  const byId = manifests.filter((m) => m.id === key || (key.length >= 4 && m.id.startsWith(key)));
  const byName = manifests.filter((m) => `${m.group}/${m.name}` === key || m.name === key);
  const found = byId.length ? byId : byName;
  if (found.length === 1 || (found.length > 1 && !byId.length)) return found[0]!;
  if (found.length > 1)
    throw new OutpostError('USAGE', `"${key}" matches ${found.length} sessions`, {
      hint: 'Give more of the session id.',
    });
  throw new OutpostError('SESSION_NOT_FOUND', `no session "${key}" in ${dir}`);
}

/**
 * Keeps one manifest up to date with what arrives (events, presence, clock samples): written at
 * most every `everyMs`, and only when something changed. A write that fails (drive full) leaves
 * the manifest marked changed, so the next flush tries again; `onError` hears about it.
 */
export class ManifestWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<unknown> = Promise.resolve();
  /** Changed since the last write (a new manifest is: it was never written). */
  private dirty = true;

  constructor(
    private readonly dir: string,
    readonly manifest: SessionManifest,
    private readonly everyMs = 500,
    private readonly onError?: (e: unknown) => void,
  ) {}

  event(e: FleetEvent): void {
    if (applyEvent(this.manifest, e)) this.changed();
  }

  /** A clock offset measured during the session. */
  clockSample(station: string, sample: OffsetSample): void {
    if (applyClockSample(this.manifest, station, sample)) this.changed();
  }

  /** A station's presence changed (offline intervals during the session); false when not kept. */
  presence(station: string, online: boolean, at: string): boolean {
    if (!applyPresence(this.manifest, station, online, at)) return false;
    this.changed();
    return true;
  }

  private changed(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.everyMs);
  }

  flush(): Promise<unknown> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await saveManifest(this.dir, this.manifest);
      } catch (e) {
        this.dirty = true;
        this.onError?.(e);
      }
    });
    return this.writing;
  }
}
