import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_FONT_FILE,
  fontFromFcMatch,
  graphValue,
  liveFilter,
  localtimeText,
  timestampFilter,
} from '../../../../src/recorder/live/overlay.js';

/** libavutil's av_get_token: one level of `\` escapes and '…' quotes, stopping at `term`. */
function getToken(s: string, pos: number, term: string): [string, number] {
  let p = pos;
  while (p < s.length && ' \n\t\r'.includes(s[p]!)) p++;
  let out = '';
  let end = 0;
  while (p < s.length && !term.includes(s[p]!)) {
    const c = s[p++]!;
    if (c === '\\' && p < s.length) {
      out += s[p++];
      end = out.length;
    } else if (c === "'") {
      while (p < s.length && s[p] !== "'") out += s[p++];
      if (p < s.length) {
        p++;
        end = out.length;
      }
    } else out += c;
  }
  while (out.length > end && ' \n\t\r'.includes(out.at(-1)!)) out = out.slice(0, -1);
  return [out, p];
}

/** Level 1: a filter chain → [name, args][] (the filtergraph parser). */
function parseChain(chain: string): [string, string][] {
  const out: [string, string][] = [];
  let p = 0;
  while (p < chain.length) {
    const eq = chain.indexOf('=', p);
    const comma = chain.indexOf(',', p);
    if (eq < 0 || (comma >= 0 && comma < eq)) throw new Error('filter without options');
    const name = chain.slice(p, eq);
    const [args, q] = getToken(chain, eq + 1, '[],;');
    out.push([name, args]);
    p = q;
    if (chain[p] === ',') p++;
    else if (p < chain.length) throw new Error(`unexpected ${chain[p]}`);
  }
  return out;
}

/** Level 2: `key=value:key=value` (or positional values) → values in order, keyed when given. */
function parseOptions(args: string): [string | null, string][] {
  const out: [string | null, string][] = [];
  let p = 0;
  while (p <= args.length) {
    const m = /^([A-Za-z_][A-Za-z0-9_-]*)=/.exec(args.slice(p));
    const key = m ? m[1]! : null;
    if (m) p += m[0].length;
    const [v, q] = getToken(args, p, ':');
    out.push([key, v]);
    p = q + 1;
    if (q >= args.length) break;
  }
  return out;
}

/** Level 3: drawtext's %{name:arg:arg} → [name, ...args]. */
function parseExpansion(text: string): string[] {
  assert.ok(text.startsWith('%{') && text.endsWith('}'), text);
  const parts: string[] = [];
  let p = 2;
  for (;;) {
    const [t, q] = getToken(text, p, ':}');
    parts.push(t);
    p = q + 1;
    if (text[q] === '}') break;
  }
  return parts;
}

describe('liveFilter', () => {
  it('rate and size only, without a timestamp', () => {
    assert.equal(liveFilter({ fps: 5, width: 640, timestamp: false }), "fps=5,scale='min(640,iw)':-2");
    const [fps, scale] = parseChain(liveFilter({ fps: 2.5, width: 321, timestamp: false }));
    assert.deepEqual(fps, ['fps', '2.5']);
    assert.deepEqual(parseOptions(scale![1]), [
      [null, 'min(320,iw)'],
      [null, '-2'],
    ]);
  });

  it('the timestamp survives all three levels of ffmpeg parsing', () => {
    const chain = parseChain(liveFilter({ fps: 5, width: 640, timestamp: true }));
    assert.deepEqual(
      chain.map(([n]) => n),
      ['fps', 'scale', 'drawtext'],
    );
    const opts = new Map(parseOptions(chain[2]![1]));
    assert.equal(opts.get('fontfile'), DEFAULT_FONT_FILE);
    assert.equal(opts.get('fontsize'), '16');
    assert.deepEqual(parseExpansion(opts.get('text')!), ['localtime', '%Y-%m-%d %H:%M:%S']);
  });

  it('escapes awkward fonts and formats (quotes, colons, backslashes, commas, brackets)', () => {
    const font = "/opt/fonts/it's: [odd], \\weird;.ttf";
    const format = "%H:%M:%S 'cam' {a},[b];\\c";
    const chain = parseChain(
      liveFilter({ fps: 5, width: 640, timestamp: true, fontFile: font, timeFormat: format }),
    );
    assert.equal(chain.length, 3, 'the commas and brackets did not split the chain');
    const opts = new Map(parseOptions(chain[2]![1]));
    assert.equal(opts.get('fontfile'), font);
    assert.deepEqual(parseExpansion(opts.get('text')!), ['localtime', format]);
  });

  it('puts the time in the corner asked for, inside the picture', () => {
    const at = (position: Parameters<typeof timestampFilter>[3]) => {
      const opts = new Map(
        parseOptions(parseChain(timestampFilter(640, undefined, undefined, position))[0]![1]),
      );
      return [opts.get('x'), opts.get('y')];
    };
    assert.deepEqual(at('top-left'), ['8', '8']);
    assert.deepEqual(at('top-right'), ['w-tw-8', '8']);
    assert.deepEqual(at('bottom-left'), ['8', 'h-th-8']);
    assert.deepEqual(at('bottom-right'), ['w-tw-8', 'h-th-8']);
    // Sized at run time from the frame's height when the width is not known.
    const auto = new Map(
      parseOptions(parseChain(timestampFilter('auto', undefined, undefined, 'bottom-right'))[0]![1]),
    );
    assert.equal(auto.get('fontsize'), 'max(10,h/24)');
    assert.equal(auto.get('y'), 'h-th-h/48');
  });

  it('graphValue and localtimeText are the levels the filter is made of', () => {
    assert.equal(graphValue('a:b'), "'a\\:b'");
    assert.equal(localtimeText('%H:%M'), '%{localtime:%H\\:%M}');
  });

  it('refuses nonsense sizes and rates', () => {
    assert.throws(() => liveFilter({ fps: 0, width: 640, timestamp: false }), RangeError);
    assert.throws(() => liveFilter({ fps: 5, width: 8, timestamp: false }), RangeError);
    assert.throws(() => liveFilter({ fps: 5, width: 640.5, timestamp: false }), RangeError);
  });
});

describe('fontFromFcMatch', () => {
  it('takes the file fc-match printed, or the DejaVu default', () => {
    assert.equal(
      fontFromFcMatch('/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf'),
      '/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf',
    );
    assert.equal(fontFromFcMatch(''), DEFAULT_FONT_FILE);
    assert.equal(fontFromFcMatch('Fontconfig error: No writable cache directories'), DEFAULT_FONT_FILE);
  });
});
