import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { photosDir } from './generated-media.js';

/**
 * Every photo of the kit's set (recursively, sorted), absolute paths: the real-camera corpus
 * when `../shared/corpus` is there, else the generated stand-in with the same names.
 */
export function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.toLowerCase().endsWith('.jpg')) out.push(p);
    }
  };
  walk(photosDir());
  return out.sort();
}

export function sha256File(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

export function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: 'pipe' });
}

/** A short H.264 MP4 with a known creation time. */
export function makeMp4(path: string, seconds = 2, creationTime = '2024-05-01T08:20:30Z'): void {
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=320x240:rate=25:duration=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    '-metadata',
    `creation_time=${creationTime}`,
    path,
  ]);
}

export function makeAvi(path: string, seconds = 1): void {
  ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=15:duration=${seconds}`, '-c:v', 'mjpeg', path]);
}

export function makeWav(path: string, seconds = 1, freq = 440): void {
  ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=${freq}:duration=${seconds}`, path]);
}

export function makeMp3(path: string, seconds = 1): void {
  ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=660:duration=${seconds}`, '-c:a', 'libmp3lame', path]);
}

export interface CardFixture {
  root: string;
  /** Card-relative paths of the media files that must end up in the library (not companions). */
  media: string[];
}

/**
 * A camera card: every photo of the kit's set (corpusFiles) under DCIM (folder names kept in
 * file names so they stay unique), real videos and audio made with ffmpeg, companions (THM, WAV, XMP), a zero-byte
 * file, a trash folder that must be skipped, and a second copy of one photo in another folder.
 */
export function makeCard(root: string, opts: { videos?: boolean } = {}): CardFixture {
  const dcim = join(root, 'DCIM', '100CAMERA');
  mkdirSync(dcim, { recursive: true });
  const media: string[] = [];
  for (const f of corpusFiles()) {
    const name = relative(photosDir(), f).replace(/[/\\]/g, '__');
    copyFileSync(f, join(dcim, name));
    media.push(`DCIM/100CAMERA/${name}`);
  }
  const other = join(root, 'DCIM', '101CAMERA');
  mkdirSync(other, { recursive: true });
  copyFileSync(corpusFiles()[0]!, join(other, 'COPY0001.JPG'));
  media.push('DCIM/101CAMERA/COPY0001.JPG');
  writeFileSync(join(other, 'EMPTY001.JPG'), '');
  const trash = join(root, '.Trashes', '501');
  mkdirSync(trash, { recursive: true });
  copyFileSync(corpusFiles()[1]!, join(trash, 'DELETED.JPG'));
  if (opts.videos !== false) {
    makeMp4(join(other, 'MVI_0001.MP4'));
    media.push('DCIM/101CAMERA/MVI_0001.MP4');
    makeAvi(join(other, 'MVI_0002.AVI'));
    media.push('DCIM/101CAMERA/MVI_0002.AVI');
    // Canon-style THM thumbnail beside the AVI: a companion, not an item.
    copyFileSync(corpusFiles()[2]!, join(other, 'MVI_0002.THM'));
    makeWav(join(other, 'REC_0001.WAV'), 1, 300);
    media.push('DCIM/101CAMERA/REC_0001.WAV');
    makeMp3(join(other, 'REC_0002.MP3'));
    media.push('DCIM/101CAMERA/REC_0002.MP3');
    // A voice memo beside a photo travels with the photo.
    copyFileSync(corpusFiles()[3]!, join(other, 'IMG_0100.JPG'));
    media.push('DCIM/101CAMERA/IMG_0100.JPG');
    makeWav(join(other, 'IMG_0100.WAV'), 1, 500);
    writeFileSync(
      join(other, 'IMG_0100.XMP'),
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="4"/></rdf:RDF></x:xmpmeta>',
    );
  }
  return { root, media };
}

/** Distinct content hashes of a card's media files: what the library must hold exactly once. */
export function distinctHashes(card: CardFixture): Set<string> {
  return new Set(card.media.map((m) => sha256File(join(card.root, m))));
}

export function fileSize(p: string): number {
  return statSync(p).size;
}
