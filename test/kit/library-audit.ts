/**
 * Looks at a library drive from the outside (plain files, no catalogue) and says whether it is
 * intact: every original named by its own hash, companions beside their original, nothing else
 * in `library/`, nothing left in `.outpost/tmp`. For fault tests that must not trust the code
 * under test to judge itself.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** `YYYYMMDD-HHMMSS_<16 hex>.<ext>`: the default name template. */
export const ORIGINAL_NAME_RE = /^\d{8}-\d{6}_([0-9a-f]{16})\.([a-z0-9]+)$/;
/** `<original name>.<thm|wav|xmp>`. */
export const COMPANION_NAME_RE = /^(\d{8}-\d{6}_[0-9a-f]{16}\.[a-z0-9]+)\.(thm|wav|xmp)$/;

export interface LibraryAudit {
  /** sha256 → drive-relative paths of originals with those bytes (more than one = a duplicate). */
  originals: Map<string, string[]>;
  /** Companion files: drive-relative path, the original it belongs to, its sha256. */
  companions: { path: string; owner: string; sha256: string }[];
  /** Originals whose name does not carry the first 16 hex of their own sha256 (partial or corrupt). */
  misnamed: { path: string; sha256: string }[];
  /** Files in library/ that are neither an original nor a companion of one present beside it. */
  stray: string[];
  /** Entries left in `.outpost/tmp`. */
  tmp: string[];
}

export async function sha256Stream(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Every regular file below `dir`, relative to `base`, `/`-separated. */
export function filesBelow(dir: string, base: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, base);
  return out.sort();
}

export async function auditLibrary(drive: string): Promise<LibraryAudit> {
  const audit: LibraryAudit = { originals: new Map(), companions: [], misnamed: [], stray: [], tmp: [] };
  const files = filesBelow(join(drive, 'library'), 'library');
  const present = new Set(files);
  for (const rel of files) {
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    const dir = rel.slice(0, rel.lastIndexOf('/'));
    const comp = COMPANION_NAME_RE.exec(base);
    if (comp && present.has(`${dir}/${comp[1]}`)) {
      audit.companions.push({
        path: rel,
        owner: `${dir}/${comp[1]}`,
        sha256: await sha256Stream(join(drive, rel)),
      });
      continue;
    }
    const orig = ORIGINAL_NAME_RE.exec(base);
    if (!orig) {
      audit.stray.push(rel);
      continue;
    }
    const sha = await sha256Stream(join(drive, rel));
    if (sha.slice(0, 16) !== orig[1]) audit.misnamed.push({ path: rel, sha256: sha });
    const list = audit.originals.get(sha) ?? [];
    list.push(rel);
    audit.originals.set(sha, list);
  }
  const tmpDir = join(drive, '.outpost', 'tmp');
  audit.tmp = existsSync(tmpDir) ? readdirSync(tmpDir) : [];
  return audit;
}

/** Hashes stored more than once. */
export function duplicatesOf(a: LibraryAudit): [string, string[]][] {
  return [...a.originals].filter(([, paths]) => paths.length > 1);
}
