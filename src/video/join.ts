/**
 * Makes one MP4 of pieces of video files (docs/video.md): the smart cut's few re-encoded frames
 * (ffmpeg, low priority), the sound of partial pieces trimmed by stream copy, then one stream-copy
 * mux of everything through ffmpeg's concat demuxer (a list for the picture, one for the sound,
 * so each track keeps its own lengths), with a chapter per recorded span and per gap. The copied
 * frames are the source's bytes; the result's frame count is checked against the plan.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lowPriorityCommand, lowPriorityTools } from '../adapters/low-priority.js';
import type { ProcessRunner } from '../adapters/process-runner.js';
import { OutpostError, isOutpostError } from '../core/errors.js';
import { cutPiece, type AudioStep, type VideoStep } from './cut-plan.js';
import { probePackets, type VideoStreamInfo } from './probe-packets.js';
import { fullEncodeArgs, pickH264Encoder, type H264Encoder, type H264EncoderChoice } from './encoder.js';

export interface JoinPiece {
  path: string;
  inS: number;
  outS: number;
  videoS: number;
  audioS: number | null;
}

export interface Chapter {
  title: string;
  startS: number;
  endS: number;
}

export interface JoinRequest {
  pieces: JoinPiece[];
  /** smart: exact cuts, re-encoding at most a GOP at each; keyframe: copy only, widened to keyframes. */
  mode: 'smart' | 'keyframe';
  /** Chapters of the result, by the pieces' index: `(cut pieces) => chapters`. */
  chapters?: (cuts: { inS: number; outS: number }[]) => Chapter[];
  /** The result's creation time (its first frame's wall clock) and title. */
  creationTime?: string | undefined;
  title?: string | undefined;
  /** Where the result goes (written as `<out>.part`, renamed when complete and checked). */
  out: string;
  /** Re-encode everything (an export preset), at this height when given (width keeps the aspect). */
  reencode?: { height?: number | undefined; reason: string } | undefined;
  /** false: no sound in the result. */
  audio?: boolean | undefined;
  /** Turn the picture on playback (a flag in the file: lossless), degrees clockwise. */
  rotate?: 0 | 90 | 180 | 270 | undefined;
  /**
   * Also write a fragmented MP4 as the join runs, for watching while it is made: called with its
   * path as the join starts, and with `done` once ffmpeg finished writing it (or failed).
   */
  stream?: ((path: string, state: 'writing' | 'done') => void) | undefined;
}

export interface JoinDeps {
  runner: ProcessRunner;
  /** A full re-encode's encoder (default auto: the Pi's hardware one when it works here). */
  encoder?: H264EncoderChoice | undefined;
  /** Scratch folder (made and removed here). */
  tmpDir: string;
  lowPriority: boolean;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: { step: number; steps: number; phase: 'cut' | 'join' | 'check' }) => void) | undefined;
}

export interface JoinResult {
  /** What was done: a smart cut, keyframe-aligned copies, or a full re-encode (and why). */
  mode: 'smart' | 'keyframe' | 'reencode';
  reason?: string | undefined;
  frames: number;
  expectedFrames: number;
  durationS: number;
  audioDurationS: number | null;
  /** Frames re-encoded at each cut (smart cut: at most one GOP per cut). */
  reencodedPerCut: number[];
  /** Keyframe mode: how much earlier the result starts and later it ends than asked (s). */
  widened: { start: number; end: number };
  chapters: Chapter[];
  bytes: number;
  fps: number;
  /** Frames in the source's longest GOP (keyframe to keyframe) among the cut pieces. */
  gopFrames: number;
  /** The encoder of a full re-encode (null: frames were copied, cuts made with libx264). */
  encoder: H264Encoder | null;
  /** Why the hardware encoder asked for was not used. */
  encoderNote?: string | undefined;
}

/** Quote a path for ffmpeg's concat list. */
const quote = (p: string): string => `'${p.replace(/'/g, "'\\''")}'`;
const num = (n: number): string => n.toFixed(6);

/** libx264 arguments that make a few frames the source's way: profile, level, bitrate, B-frames. */
export function matchingEncoderArgs(info: VideoStreamInfo): string[] {
  const profile = (info.profile ?? 'high').toLowerCase().replace('constrained ', '');
  const args = [
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    info.pixFmt === 'yuvj420p' ? 'yuvj420p' : 'yuv420p',
  ];
  if (['baseline', 'main', 'high'].includes(profile)) args.push('-profile:v', profile);
  if (info.level && info.level > 0) args.push('-level', (info.level / 10).toFixed(1));
  if (info.bitRate) {
    const b = Math.round(info.bitRate / 1000);
    args.push('-b:v', `${b}k`, '-maxrate', `${Math.round(b * 1.5)}k`, '-bufsize', `${b * 2}k`);
  } else args.push('-crf', '20');
  // The same reordering as the source: copied frames follow with the decode delay they have.
  if (info.reorder === 0) args.push('-bf', '0');
  else if (info.reorder === 1) args.push('-bf', '1', '-b-pyramid', 'none');
  if (info.timescale) args.push('-video_track_timescale', String(info.timescale));
  // One thread: x264's rate control with frame threads is not deterministic, and the same range
  // exported twice must be the same bytes (the same item). A GOP or two is quick on one core.
  args.push('-threads', '1');
  return args;
}

/** Smart cut needs H.264, 8-bit 4:2:0 and a constant frame rate; otherwise why not. */
export function smartCutRefusal(info: VideoStreamInfo): string | undefined {
  if (info.codec !== 'h264') return `the video is ${info.codec}, not H.264`;
  if (info.pixFmt && !['yuv420p', 'yuvj420p'].includes(info.pixFmt))
    return `the video is ${info.pixFmt} (not 8-bit 4:2:0)`;
  if (info.variable) return 'the frame rate is variable';
  return undefined;
}

export async function joinPieces(req: JoinRequest, d: JoinDeps): Promise<JoinResult> {
  if (req.pieces.length === 0) throw new OutpostError('VIDEO_NO_FOOTAGE', 'nothing to join');
  for (const [i, p] of req.pieces.entries())
    if (!(p.outS > p.inS))
      throw new OutpostError('INVALID_INPUT', `piece ${i + 1} of ${p.path}: its end is not after its start`);
  const work = join(d.tmpDir, `video-${randomBytes(6).toString('hex')}`);
  await mkdir(work, { recursive: true });
  const part = `${req.out}.part`;
  let streamStop: AbortController | undefined;
  const tools = d.lowPriority ? await lowPriorityTools(d.runner) : { nice: false, ionice: false };
  const ffmpeg = async (args: string[], heavy: boolean, what: string): Promise<void> => {
    const cmd = heavy ? lowPriorityCommand('ffmpeg', args, tools) : { cmd: 'ffmpeg', args };
    const r = await d.runner.run(cmd.cmd, cmd.args, {
      ...(d.signal ? { signal: d.signal } : {}),
      timeoutMs: 6 * 3600_000,
    });
    d.signal?.throwIfAborted();
    if (r.code !== 0)
      throw new OutpostError(
        'VIDEO_EXPORT_FAILED',
        `ffmpeg failed on ${what}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`,
      );
  };
  try {
    // Packet indexes: of every piece cut inside (its keyframes), and of the first piece always
    // (its codec decides whether a smart cut can be right).
    const infos = new Map<number, VideoStreamInfo>();
    const isWhole = (p: JoinPiece): boolean => p.inS <= 0.02 && p.outS >= p.videoS - 0.02;
    for (const [i, p] of req.pieces.entries())
      if (i === 0 || !isWhole(p)) infos.set(i, await probeOrExplain(d.runner, p.path));
    const first = infos.get(0)!;
    const refusal = req.reencode?.reason ?? (req.mode === 'smart' ? smartCutRefusal(first) : undefined);
    const mode: JoinResult['mode'] = refusal ? 'reencode' : req.mode;
    if (mode === 'reencode')
      for (const [i, p] of req.pieces.entries())
        if (!infos.has(i)) infos.set(i, await probeOrExplain(d.runner, p.path));
    // A full re-encode: the Pi's hardware encoder when it works here (encoder.ts).
    const picked = mode === 'reencode' ? await pickH264Encoder(d.runner, d.encoder ?? 'auto') : undefined;

    // The cut of each piece.
    const cuts = req.pieces.map((p, i) => {
      if (mode === 'reencode') {
        const info = infos.get(i)!;
        const frames = Math.max(1, Math.round((p.outS - p.inS) * info.fps));
        return {
          video: [{ kind: 'encode', path: p.path, fromS: p.inS, frames } as VideoStep],
          audio:
            p.audioS === null
              ? undefined
              : ({ kind: 'trim', path: p.path, fromS: p.inS, toS: p.outS } as AudioStep),
          reencoded: { start: frames, end: 0 },
          widened: { start: 0, end: 0 },
          inS: p.inS,
          outS: p.outS,
          durationOnly: p.outS - p.inS,
        };
      }
      return { ...cutPiece(p, infos.get(i), mode), durationOnly: undefined };
    });
    const encodes = cuts.flatMap((c, i) => c.video.filter((s) => s.kind === 'encode').map((s) => ({ s, i })));
    const hasAudio = req.audio !== false && req.pieces.every((p) => p.audioS !== null);
    // Sound cut piece by piece: the trimmed ones, and always the last (see below); none without sound.
    const trims = hasAudio
      ? cuts.filter((c, i) => c.audio && (c.audio.kind === 'trim' || i === cuts.length - 1)).length
      : 0;
    const steps = encodes.length + trims + 2;
    let step = 0;
    const tick = (phase: 'cut' | 'join' | 'check'): void => d.onProgress?.({ step: ++step, steps, phase });

    // 1. The frames to re-encode, each into a small file of its own.
    const videoList: string[] = ['ffconcat version 1.0'];
    const audioList: string[] = ['ffconcat version 1.0'];
    let n = 0;
    let expectedFrames = 0;
    const reencodedPerCut: number[] = [];
    const fps = first.fps;
    // The sound of whole files is taken a run at a time into one file of sound only: the concat
    // demuxer numbers streams by their index in each file, and a list must not mix a file of
    // sound only (a trimmed piece) with files whose sound is their second stream.
    let wholeRun: { path: string; durationS: number }[] = [];
    // The sound is cut to packets (an AAC frame is 21.3 ms): each trimmed piece is asked for what
    // brings the sound's total to the picture's, so the difference never grows past one frame.
    let videoTotal = 0;
    let audioTotal = 0;
    const flushRun = async (): Promise<void> => {
      if (wholeRun.length === 0) return;
      const listFile = join(work, `run${n}.txt`);
      const file = join(work, `a${n++}.m4a`);
      await writeFile(
        listFile,
        [
          'ffconcat version 1.0',
          ...wholeRun.flatMap((w) => [`file ${quote(w.path)}`, `duration ${num(w.durationS)}`]),
        ].join('\n') + '\n',
      );
      await ffmpeg(
        [
          '-nostdin',
          '-v',
          'error',
          '-y',
          '-f',
          'concat',
          '-safe',
          '0',
          '-i',
          listFile,
          '-map',
          '0:a:0',
          '-c:a',
          'copy',
          '-f',
          'mp4',
          file,
        ],
        false,
        'the sound of the whole recordings',
      );
      // A run's own length (its packets') sets where the next piece starts; what it measures counts.
      audioList.push(`file ${quote(file)}`);
      audioTotal += (await audioLength(d.runner, file)) ?? wholeRun.reduce((t, w) => t + w.durationS, 0);
      wholeRun = [];
    };
    /**
     * A fragmented MP4 of the join, for watching while it is made: the picture as it will be, the
     * sound straight from the pieces' files (a preview: not cut to the packet like the join's).
     * It starts once the few frames to re-encode exist, and plays while the join's sound is cut.
     */
    const streamAbort = new AbortController();
    streamStop = streamAbort;
    const startStream = async (): Promise<{ finished: Promise<void> }> => {
      const path = join(work, 'stream.mp4');
      await writeFile(join(work, 'stream-video.txt'), videoList.join('\n') + '\n');
      const sound = ['ffconcat version 1.0'];
      for (const [i, c] of cuts.entries()) {
        const p = req.pieces[i]!;
        sound.push(`file ${quote(p.path)}`);
        if (c.inS > 0.02) sound.push(`inpoint ${num(c.inS)}`);
        if (c.outS < p.videoS - 0.02) sound.push(`outpoint ${num(c.outS)}`);
        sound.push(`duration ${num(c.outS - c.inS)}`);
      }
      await writeFile(join(work, 'stream-audio.txt'), sound.join('\n') + '\n');
      await writeFile(path, '');
      req.stream?.(path, 'writing');
      const signal = d.signal ? AbortSignal.any([d.signal, streamAbort.signal]) : streamAbort.signal;
      const finished = d.runner
        .run(
          'ffmpeg',
          [
            '-nostdin',
            '-v',
            'error',
            '-y',
            '-f',
            'concat',
            '-safe',
            '0',
            '-i',
            join(work, 'stream-video.txt'),
            ...(hasAudio ? ['-f', 'concat', '-safe', '0', '-i', join(work, 'stream-audio.txt')] : []),
            '-map',
            '0:v:0',
            ...(hasAudio ? ['-map', '1:a:0'] : []),
            '-c',
            'copy',
            '-movflags',
            'frag_keyframe+empty_moov+default_base_moof',
            '-f',
            'mp4',
            path,
          ],
          { signal, timeoutMs: 6 * 3600_000 },
        )
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => req.stream?.(path, 'done'));
      return { finished };
    };
    for (const [i, c] of cuts.entries()) {
      const info = infos.get(i) ?? first;
      for (const s of c.video) {
        if (s.kind === 'encode') {
          const file = join(work, `v${n++}.mp4`);
          const enc = picked
            ? fullEncodeArgs(picked.codec, {
                height: first.height,
                fps: first.fps,
                scale: req.reencode?.height,
              })
            : matchingEncoderArgs(info);
          const length =
            c.durationOnly !== undefined ? ['-t', num(c.durationOnly)] : ['-frames:v', String(s.frames)];
          await ffmpeg(
            [
              '-nostdin',
              '-v',
              'error',
              '-y',
              '-ss',
              num(s.fromS),
              '-i',
              s.path,
              '-map',
              '0:v:0',
              ...length,
              '-an',
              ...enc,
              '-f',
              'mp4',
              file,
            ],
            true,
            `re-encoding ${s.frames} frames of ${s.path}`,
          );
          const made = await probeOrExplain(d.runner, file);
          videoList.push(`file ${quote(file)}`, `duration ${num(made.durationS)}`);
          expectedFrames += made.frames;
          reencodedPerCut.push(made.frames);
          tick('cut');
        } else {
          videoList.push(`file ${quote(s.path)}`);
          if (s.inS !== undefined) videoList.push(`inpoint ${num(s.inS)}`);
          if (s.outDts !== undefined) videoList.push(`outpoint ${num(s.outDts)}`);
          videoList.push(`duration ${num(s.durationS)}`);
          expectedFrames += Math.round(s.durationS * info.fps);
        }
      }
    }
    // The picture is ready to join: a stream of it can start now (see startStream), while the
    // sound is gathered and cut for the exact join.
    const stream = req.stream ? await startStream() : undefined;
    for (const [i, c] of cuts.entries()) {
      videoTotal += c.outS - c.inS;
      if (!hasAudio || !c.audio) continue;
      // The last piece's sound is always cut to end where the picture does: whole files may carry
      // an encoder's priming packet (behind an edit list the concat demuxer does not read).
      if (c.audio.kind === 'whole' && i === cuts.length - 1)
        c.audio = { kind: 'trim', path: c.audio.path, fromS: 0, toS: c.outS };
      if (c.audio.kind === 'whole') wholeRun.push(c.audio);
      else {
        await flushRun();
        const file = join(work, `a${n++}.m4a`);
        const coarse = Math.max(0, Math.floor(c.audio.fromS - 15));
        // Sound is copied in whole packets (AAC: 1024 samples): take the number of packets that
        // brings the sound's total nearest the picture's, so the two never drift past half a packet.
        const packetS = await audioPacketS(d.runner, c.audio.path);
        const wantS = Math.max(packetS ?? 0.001, videoTotal - audioTotal);
        const packets = packetS ? Math.max(1, Math.round(wantS / packetS)) : undefined;
        await ffmpeg(
          [
            '-nostdin',
            '-v',
            'error',
            '-y',
            // Seeking on the input would start at the picture's keyframe and keep the sound
            // before the in point (behind an edit list the concat demuxer does not read): seek
            // roughly there, then cut exactly on the output side.
            ...(coarse > 0 ? ['-ss', num(coarse)] : []),
            '-i',
            c.audio.path,
            '-ss',
            num(c.audio.fromS - coarse),
            ...(packets ? ['-frames:a', String(packets)] : ['-t', num(wantS)]),
            '-map',
            '0:a:0',
            '-c',
            'copy',
            '-f',
            'mp4',
            file,
          ],
          false,
          `the sound of ${c.audio.path}`,
        );
        const pieceS = (await audioLength(d.runner, file)) ?? wantS;
        audioList.push(`file ${quote(file)}`, `duration ${num(pieceS)}`);
        audioTotal += pieceS;
        tick('cut');
      }
    }
    await flushRun();

    // 2. Chapters and the one stream-copy mux.
    const chapters = req.chapters?.(cuts.map((c) => ({ inS: c.inS, outS: c.outS }))) ?? [];
    const meta = [';FFMETADATA1'];
    if (req.title) meta.push(`title=${escapeMeta(req.title)}`);
    for (const ch of chapters)
      meta.push(
        '[CHAPTER]',
        'TIMEBASE=1/1000',
        `START=${Math.round(ch.startS * 1000)}`,
        `END=${Math.round(ch.endS * 1000)}`,
        `title=${escapeMeta(ch.title)}`,
      );
    await writeFile(join(work, 'video.txt'), videoList.join('\n') + '\n');
    await writeFile(join(work, 'audio.txt'), audioList.join('\n') + '\n');
    await writeFile(join(work, 'chapters.txt'), meta.join('\n') + '\n');
    const rotation = req.rotate ? await rotationArgs(d.runner, req.rotate) : { input: [], output: [] };
    const inputs = [...rotation.input, '-f', 'concat', '-safe', '0', '-i', join(work, 'video.txt')];
    if (hasAudio) inputs.push('-f', 'concat', '-safe', '0', '-i', join(work, 'audio.txt'));
    const metaIndex = hasAudio ? 2 : 1;
    inputs.push('-f', 'ffmetadata', '-i', join(work, 'chapters.txt'));
    await ffmpeg(
      [
        '-nostdin',
        '-v',
        'error',
        '-y',
        ...inputs,
        '-map',
        '0:v:0',
        ...(hasAudio ? ['-map', '1:a:0'] : []),
        '-map_metadata',
        String(metaIndex),
        '-map_chapters',
        String(metaIndex),
        '-c',
        'copy',
        ...(req.creationTime ? ['-metadata', `creation_time=${req.creationTime}`] : []),
        ...rotation.output,
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
        part,
      ],
      false,
      'joining the pieces',
    );
    tick('join');
    await stream?.finished;

    // 3. Check the result: frames and lengths as planned.
    const got = await probeOrExplain(d.runner, part);
    const audioDurationS = hasAudio ? await audioLength(d.runner, part) : null;
    if (mode !== 'reencode' && Math.abs(got.frames - expectedFrames) > 1)
      throw new OutpostError(
        'VIDEO_EXPORT_FAILED',
        `the result has ${got.frames} frames, ${expectedFrames} were planned`,
      );
    await rename(part, req.out);
    tick('check');
    const gopFrames = Math.max(
      0,
      ...[...infos.values()].map((info) =>
        Math.round(
          Math.max(0, ...info.keys.map((k, i) => (info.keys[i + 1]?.pts ?? info.durationS) - k.pts)) *
            info.fps,
        ),
      ),
    );
    return {
      mode,
      ...(refusal ? { reason: refusal } : {}),
      frames: got.frames,
      expectedFrames: mode === 'reencode' ? got.frames : expectedFrames,
      durationS: got.durationS,
      audioDurationS,
      reencodedPerCut,
      widened: {
        start: cuts[0]?.widened.start ?? 0,
        end: cuts[cuts.length - 1]?.widened.end ?? 0,
      },
      chapters,
      bytes: (await stat(req.out)).size,
      fps,
      gopFrames,
      encoder: picked?.codec ?? null,
      ...(picked?.note ? { encoderNote: picked.note } : {}),
    };
  } catch (e) {
    await rm(part, { force: true });
    streamStop?.abort();
    if (d.signal?.aborted)
      throw new OutpostError('VIDEO_CANCELLED', 'the video was cancelled; nothing was kept');
    throw isOutpostError(e)
      ? e
      : new OutpostError('VIDEO_EXPORT_FAILED', String(e instanceof Error ? e.message : e));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function probeOrExplain(runner: ProcessRunner, path: string): Promise<VideoStreamInfo> {
  return probePackets(runner, path);
}

async function audioLength(runner: ProcessRunner, path: string): Promise<number | null> {
  const r = await runner.run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'a:0',
    '-show_entries',
    'stream=duration',
    '-of',
    'csv=p=0',
    path,
  ]);
  const v = Number(r.stdout.toString('utf8').trim());
  return Number.isFinite(v) ? v : null;
}

/** Length of one packet of the file's sound when it is AAC (1024 samples), else undefined. */
async function audioPacketS(runner: ProcessRunner, path: string): Promise<number | undefined> {
  const r = await runner.run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'a:0',
    '-show_entries',
    'stream=codec_name,sample_rate',
    '-of',
    'csv=p=0',
    path,
  ]);
  const [codec, rate] = r.stdout.toString('utf8').trim().split(',');
  return codec === 'aac' && Number(rate) > 0 ? 1024 / Number(rate) : undefined;
}

let displayRotation: Promise<boolean> | undefined;
/**
 * The display-matrix flag that turns the picture: ffmpeg 7 takes `-display_rotation` (counter-
 * clockwise, before the input), older ones (Debian 12's 5.1) the stream's `rotate` tag (clockwise).
 */
async function rotationArgs(
  runner: ProcessRunner,
  degrees: 90 | 180 | 270,
): Promise<{ input: string[]; output: string[] }> {
  displayRotation ??= runner
    .run('ffmpeg', ['-hide_banner', '-h', 'full'], { timeoutMs: 10_000, maxStdoutBytes: 8 * 1024 * 1024 })
    .then((r) => r.stdout.toString('utf8').includes('display_rotation'))
    .catch(() => false);
  return (await displayRotation)
    ? { input: ['-display_rotation:v:0', String(-degrees)], output: [] }
    : { input: [], output: ['-metadata:s:v:0', `rotate=${degrees}`] };
}

/** ffmetadata escapes `=`, `;`, `#`, `\` and newlines. */
function escapeMeta(s: string): string {
  return s.replace(/[=;#\\\n]/g, (c) => `\\${c}`);
}
