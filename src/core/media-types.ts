/** What kind of media a file is, by extension: the single table ingest and rebuild share. */
export type MediaType = 'photo' | 'video' | 'audio';

const PHOTO = [
  'jpg',
  'jpeg',
  'heic',
  'heif',
  'png',
  'tif',
  'tiff',
  'cr2',
  'cr3',
  'nef',
  'arw',
  'dng',
  'orf',
  'rw2',
];
const VIDEO = ['mp4', 'mov', 'avi', 'mts', 'm2ts', 'm4v'];
const AUDIO = ['wav', 'mp3', 'm4a'];
export const RAW_EXTENSIONS = new Set(['cr2', 'cr3', 'nef', 'arw', 'dng', 'orf', 'rw2']);

const BY_EXT = new Map<string, MediaType>([
  ...PHOTO.map((e) => [e, 'photo'] as const),
  ...VIDEO.map((e) => [e, 'video'] as const),
  ...AUDIO.map((e) => [e, 'audio'] as const),
]);

/** Companion files travel with the media item that shares their base name. */
export const COMPANION_EXTENSIONS = new Set(['thm', 'xmp', 'wav', 'frames.csv', 'ttl.csv']);

/** The original a companion file name belongs to (`clip.mp4.frames.csv` → `clip.mp4`), if it is one of `names`. */
export function companionOwner(name: string, names: ReadonlySet<string>): string | undefined {
  const lower = name.toLowerCase();
  for (const ext of COMPANION_EXTENSIONS) {
    if (!lower.endsWith(`.${ext}`)) continue;
    const owner = name.slice(0, -(ext.length + 1));
    if (names.has(owner)) return owner;
  }
  return undefined;
}

/** Folders that never hold originals: trash, OS indexes, camera thumbnail caches. */
export const SKIP_DIRS = new Set([
  '.trash',
  '.trashes',
  '.trash-1000',
  '.spotlight-v100',
  '.fseventsd',
  '.thumbnails',
  '.thumbs',
  'system volume information',
  '$recycle.bin',
  'lost+found',
  '.outpost',
]);

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}

export function stemOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? name : name.slice(0, dot);
}

export function mediaTypeOf(name: string): MediaType | undefined {
  return BY_EXT.get(extensionOf(name));
}

/** Same, from an already lowercased extension (hot path of the card scan). */
export function mediaTypeByExt(ext: string): MediaType | undefined {
  return BY_EXT.get(ext);
}

export function isRaw(name: string): boolean {
  return RAW_EXTENSIONS.has(extensionOf(name));
}
