/**
 * The ffmpeg filter chain of the live (MJPEG) output: frame rate, size and an optional
 * burned-in timestamp (drawtext). Pure: the capture command puts the result after `-vf` (or in
 * its `-filter_complex` branch for output C).
 *
 * Escaping. A drawtext text goes through three parsers, each of which removes one level of
 * backslashes and quotes (ffmpeg-filters "Notes on filtergraph escaping"):
 *   1. the filtergraph parser (splits filters at `,` `;` `[` `]`),
 *   2. the filter's option parser (splits `key=value` pairs at `:`),
 *   3. drawtext's text expansion (`%{localtime:FORMAT}`: its arguments split at `:`).
 * So each value is escaped for level 3 (the `:` in `%H:%M:%S`), then level 2, then wrapped in
 * single quotes for level 1 (inside quotes level 1 takes every character as is).
 *
 * Font. drawtext needs a font file: the capture side resolves one with {@link fontFromFcMatch}
 * (`fc-match -f '%{file}' 'DejaVu Sans Mono'`), falling back to {@link DEFAULT_FONT_FILE}
 * (Debian/Raspberry Pi OS package `fonts-dejavu-core`, installed with fontconfig).
 * The time is the station's local time zone (ffmpeg's `localtime`: the TZ of the process).
 */

export const DEFAULT_FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';
/** The fontconfig pattern to ask for; monospace so the digits do not jitter. */
export const FONT_PATTERN = 'DejaVu Sans Mono';

export interface LiveFilterOptions {
  /** Frames a second of the live stream (1–30). */
  fps: number;
  /** Largest width in pixels; smaller sources are not scaled up. Height keeps the aspect (even). */
  width: number;
  /** Burn the wall-clock time into the picture. */
  timestamp: boolean;
  /** Its corner (default top-left). */
  position?: OverlayPosition | undefined;
  /** Font for the timestamp; defaults to {@link DEFAULT_FONT_FILE}. */
  fontFile?: string | undefined;
  /** strftime format of the timestamp; default `%Y-%m-%d %H:%M:%S`. */
  timeFormat?: string;
}

/** Level 2 (option value) escaping: `\`, `'` and `:` get a backslash. */
export function escapeOptionValue(v: string): string {
  return v.replace(/[\\':]/g, (c) => `\\${c}`);
}

/**
 * Level 1 quoting: the value in single quotes (taken literally by the filtergraph parser). A
 * quote cannot appear inside quotes, so it closes them, adds `\'` and reopens.
 */
export function quoteForGraph(v: string): string {
  return `'${v.replace(/'/g, "'\\''")}'`;
}

/** A filter option value as it must appear in a filtergraph string. */
export function graphValue(v: string): string {
  return quoteForGraph(escapeOptionValue(v));
}

/** Level 3: drawtext's `%{localtime:FORMAT}` with the format's own `\`, `'`, `:` and `}` escaped. */
export function localtimeText(format: string): string {
  return `%{localtime:${format.replace(/[\\':}]/g, (c) => `\\${c}`)}}`;
}

/** Where the time is drawn. */
export type OverlayPosition = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';

/**
 * The drawtext filter (without a leading comma) for the timestamp. `width`: the picture's width
 * when known (the live view's), so the text size is fixed; `'auto'`: sized from the frame's
 * height at run time (a recording of a source whose size is not known here).
 */
export function timestampFilter(
  width: number | 'auto',
  fontFile = DEFAULT_FONT_FILE,
  format = '%Y-%m-%d %H:%M:%S',
  position: OverlayPosition = 'top-left',
): string {
  // 16 px at 640 wide; never smaller than 10 px. Auto: 1/24 of the height (15 px at 360).
  const size = width === 'auto' ? 'max(10,h/24)' : String(Math.max(10, Math.round(width / 40)));
  const margin = width === 'auto' ? 'h/48' : String(Math.round(Number(size) / 2));
  const border = width === 'auto' ? 4 : Math.max(2, Math.round(Number(size) / 4));
  const right = position.endsWith('right');
  const bottom = position.startsWith('bottom');
  const opts = [
    `fontfile=${graphValue(fontFile)}`,
    `text=${graphValue(localtimeText(format))}`,
    `fontsize=${graphValue(size)}`,
    'fontcolor=white',
    'box=1',
    'boxcolor=black@0.5',
    `boxborderw=${border}`,
    // tw/th: the text's own width and height, so the box stays inside the picture.
    `x=${graphValue(right ? `w-tw-${margin}` : margin)}`,
    `y=${graphValue(bottom ? `h-th-${margin}` : margin)}`,
  ];
  return `drawtext=${opts.join(':')}`;
}

/**
 * `fps=5,scale='min(640,iw)':-2[,drawtext=…]`: the live output's filter chain. The scaler keeps
 * the aspect and an even height (4:2:0 JPEG); the text is drawn after scaling so its size is
 * the same on every camera.
 */
export function liveFilter(opts: LiveFilterOptions): string {
  if (!(opts.fps > 0 && opts.fps <= 30)) throw new RangeError(`live fps must be in (0, 30], not ${opts.fps}`);
  if (!Number.isInteger(opts.width) || opts.width < 16 || opts.width > 4096)
    throw new RangeError(`live width must be a whole number of pixels in 16..4096, not ${opts.width}`);
  const width = opts.width - (opts.width % 2);
  const chain = [`fps=${opts.fps}`, `scale=${quoteForGraph(`min(${width},iw)`)}:-2`];
  if (opts.timestamp) chain.push(timestampFilter(width, opts.fontFile, opts.timeFormat, opts.position));
  return chain.join(',');
}

/** The font file from `fc-match -f '%{file}' 'DejaVu Sans Mono'` output, or the default. */
export function fontFromFcMatch(stdout: string): string {
  const file = stdout.trim().split('\n')[0]?.trim() ?? '';
  return file.startsWith('/') && /\.(ttf|otf|ttc)$/i.test(file) ? file : DEFAULT_FONT_FILE;
}

/** argv of the fc-match call whose output {@link fontFromFcMatch} reads. */
export const FC_MATCH_ARGS: readonly string[] = ['-f', '%{file}', FONT_PATTERN];
