/**
 * The RTSP relay's pure parts: request/interleaved framing (any chunking, hostile input), the
 * Transport header, request URLs (ffmpeg's `?query/streamid=N` quirk), the SDP rewrite for
 * players, and H.264 keyframe detection in RTP packets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isH264KeyframeStart, rtpPayload } from '../../../../src/recorder/live/rtsp/h264.js';
import {
  formatResponse,
  frameHeader,
  RtspFramingError,
  RtspReader,
  type RtspMessage,
} from '../../../../src/recorder/live/rtsp/message.js';
import { parseSdp, rewriteSdpForPlayers } from '../../../../src/recorder/live/rtsp/sdp.js';
import {
  formatTcpTransport,
  parseTarget,
  parseTransport,
} from '../../../../src/recorder/live/rtsp/transport.js';
import { prng } from '../../../kit/prng.js';

/** The SDP ffmpeg 5.1's rtsp muxer announces for one libx264 stream (as captured). */
const FFMPEG_SDP = [
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=No Name',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'a=tool:libavformat 59.27.100',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z0LAC9oFB+wEQAAAAwBAAAAFA8UKqA==,aM4PyA==; profile-level-id=42C00B',
  'a=control:streamid=0',
  '',
].join('\r\n');

const announce = (body: string): Buffer =>
  Buffer.from(
    `ANNOUNCE rtsp://127.0.0.1:8554/cam RTSP/1.0\r\nContent-Type: application/sdp\r\nCSeq: 2\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );

function frame(channel: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(channel, payload.length), payload]);
}

/** An RTP packet (version 2, no CSRC) around a payload. */
function rtp(payload: number[], opts: { padding?: number; csrc?: number; ext?: number } = {}): Buffer {
  const csrc = opts.csrc ?? 0;
  const head = Buffer.alloc(12 + csrc * 4);
  head[0] = 0x80 | csrc | (opts.padding ? 0x20 : 0) | (opts.ext !== undefined ? 0x10 : 0);
  head[1] = 96;
  const parts = [head];
  if (opts.ext !== undefined) {
    const e = Buffer.alloc(4 + opts.ext * 4);
    e.writeUInt16BE(opts.ext, 2);
    parts.push(e);
  }
  parts.push(Buffer.from(payload));
  if (opts.padding) {
    const pad = Buffer.alloc(opts.padding);
    pad[opts.padding - 1] = opts.padding;
    parts.push(pad);
  }
  return Buffer.concat(parts);
}

describe('RtspReader', () => {
  const stream = Buffer.concat([
    Buffer.from('OPTIONS rtsp://127.0.0.1:8554/cam RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf59\r\n\r\n'),
    announce(FFMPEG_SDP),
    frame(0, Buffer.from([0x80, 96, 1, 2, 3])),
    frame(1, Buffer.alloc(0)),
    Buffer.from('GET_PARAMETER rtsp://h/cam RTSP/1.0\r\nCSeq: 3\r\nSession: abc\r\n\r\n'),
  ]);

  const summary = (ms: RtspMessage[]): string[] =>
    ms.map((m) =>
      m.kind === 'frame'
        ? `$${m.frame.channel}:${m.frame.payload.toString('hex')}`
        : `${m.request.method} ${m.request.headers.get('cseq')} ${m.request.body.length}`,
    );

  it('reads requests, bodies and interleaved frames in order', () => {
    const out = new RtspReader().push(stream);
    assert.deepEqual(summary(out), [
      'OPTIONS 1 0',
      `ANNOUNCE 2 ${Buffer.byteLength(FFMPEG_SDP)}`,
      '$0:8060010203',
      '$1:',
      'GET_PARAMETER 3 0',
    ]);
    const ann = out[1];
    assert.ok(ann?.kind === 'request');
    assert.equal(ann.request.body.toString(), FFMPEG_SDP);
    assert.equal(ann.request.headers.get('content-type'), 'application/sdp');
  });

  it('gives the same messages whatever the chunking (seeded random splits, byte by byte)', () => {
    const whole = summary(new RtspReader().push(stream));
    const rnd = prng(7);
    for (let round = 0; round < 50; round++) {
      const r = new RtspReader();
      const got: RtspMessage[] = [];
      for (let off = 0; off < stream.length;) {
        const n = round === 0 ? 1 : 1 + Math.floor(rnd() * 40);
        got.push(...r.push(stream.subarray(off, off + n)));
        off += n;
      }
      assert.deepEqual(summary(got), whole, `round ${round}`);
      assert.equal(r.pending, 0);
    }
  });

  it('refuses a head that never ends once it passes the bound (memory stays bounded)', () => {
    const r = new RtspReader({ maxHeadBytes: 1024 });
    r.push(Buffer.from('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n'));
    assert.throws(
      () => {
        for (let i = 0; i < 100; i++) r.push(Buffer.from(`X-Pad-${i}: ${'a'.repeat(50)}\r\n`));
      },
      (e: unknown) => e instanceof RtspFramingError && e.status === 400,
    );
  });

  it('refuses a body over the bound with 413, and a bad Content-Length with 400', () => {
    const big = Buffer.from('ANNOUNCE rtsp://h/c RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 999999\r\n\r\n');
    assert.throws(
      () => new RtspReader({ maxBodyBytes: 1000 }).push(big),
      (e: unknown) => e instanceof RtspFramingError && e.status === 413,
    );
    for (const cl of ['-1', 'abc', '1e3', '12345678901'])
      assert.throws(
        () =>
          new RtspReader().push(
            Buffer.from(`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: ${cl}\r\n\r\n`),
          ),
        (e: unknown) => e instanceof RtspFramingError && e.status === 400,
        cl,
      );
  });

  it('refuses garbage, HTTP and malformed headers with a framing error, never anything else', () => {
    const bad = [
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n',
      'hello\r\n\r\n',
      'OPTIONS * RTSP/1.0 extra\r\nCSeq: 1\r\n\r\n',
      'OPTIONS * RTSP/1.0\r\nno colon here\r\n\r\n',
      'options * RTSP/1.0\r\nCSeq: 1\r\n\r\n',
      '\u0000\u0001\u0002\r\n\r\n',
    ];
    for (const b of bad)
      assert.throws(
        () => new RtspReader().push(Buffer.from(b, 'latin1')),
        (e: unknown) => e instanceof RtspFramingError,
        JSON.stringify(b),
      );
  });

  it('refuses what cannot start a request at once, without waiting for the end of a head', () => {
    for (const b of ['\u0016\u0003\u0001\u0002\u0000', 'hello world', 'OPTIONS\tx'])
      assert.throws(
        () => new RtspReader().push(Buffer.from(b, 'latin1')),
        (e: unknown) => e instanceof RtspFramingError && e.status === 400,
        JSON.stringify(b),
      );
    // A method still arriving is not refused.
    assert.deepEqual(new RtspReader().push(Buffer.from('DESCR')), []);
    assert.deepEqual(new RtspReader().push(Buffer.from('DESCRIBE rtsp://h/c RTSP/1.0\r\nCSeq: 1\r\n')), []);
  });

  it('random bytes only ever yield messages or a framing error (seeded fuzz)', () => {
    const rnd = prng(42);
    for (let round = 0; round < 300; round++) {
      const r = new RtspReader({ maxHeadBytes: 512, maxBodyBytes: 512 });
      const bytes = Buffer.alloc(1 + Math.floor(rnd() * 3000));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rnd() * 256);
      // Half the rounds start like a real request so the header paths are walked too.
      const input =
        round % 2 ? Buffer.concat([Buffer.from('SETUP rtsp://h/c RTSP/1.0\r\nCSeq: 1\r\n'), bytes]) : bytes;
      try {
        for (let off = 0; off < input.length; off += 97) r.push(input.subarray(off, off + 97));
      } catch (e) {
        assert.ok(e instanceof RtspFramingError, `round ${round}: ${String(e)}`);
      }
      assert.ok(r.pending <= 512 + 4 + 65535, `round ${round}: ${r.pending} bytes held`);
    }
  });
});

describe('formatResponse', () => {
  it('writes status line, headers, Content-Length and body', () => {
    const text = formatResponse(200, { CSeq: 3, 'Content-Type': 'application/sdp' }, 'v=0\r\n').toString();
    assert.equal(
      text,
      'RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n',
    );
  });

  it('never lets an echoed value split into a second header', () => {
    const text = formatResponse(400, { CSeq: '1\r\nX-Evil: yes' }).toString();
    assert.doesNotMatch(text, /\r\nX-Evil/);
    assert.match(text, /^RTSP\/1\.0 400 Bad Request\r\n/);
  });
});

describe('Transport header', () => {
  it('reads ffmpeg, VLC and UDP offers', () => {
    const [pub] = parseTransport('RTP/AVP/TCP;unicast;interleaved=0-1;mode=record');
    assert.deepEqual(pub, {
      protocol: 'RTP/AVP/TCP',
      tcp: true,
      multicast: false,
      interleaved: [0, 1],
      mode: 'record',
    });
    const [vlc] = parseTransport('RTP/AVP/TCP;unicast;interleaved=2-3');
    assert.deepEqual(vlc?.interleaved, [2, 3]);
    assert.equal(vlc?.mode, 'play');
    const [udp] = parseTransport('RTP/AVP;unicast;client_port=5000-5001');
    assert.equal(udp?.tcp, false);
    const [mc] = parseTransport('RTP/AVP/TCP;multicast');
    assert.equal(mc?.multicast, true);
  });

  it('keeps every offer in order and reads a single channel as a pair', () => {
    const offers = parseTransport('RTP/AVP;unicast;client_port=1-2, RTP/AVP/TCP;interleaved=4');
    assert.equal(offers.length, 2);
    assert.equal(offers[0]?.tcp, false);
    assert.deepEqual(offers[1]?.interleaved, [4, 5]);
  });

  it('ignores channels out of range and junk', () => {
    assert.equal(parseTransport('RTP/AVP/TCP;interleaved=300-301')[0]?.interleaved, undefined);
    assert.equal(parseTransport('RTP/AVP/TCP;interleaved=a-b')[0]?.interleaved, undefined);
    assert.deepEqual(parseTransport(''), []);
    assert.deepEqual(parseTransport(';;,,'), []);
  });

  it('formats the reply', () => {
    assert.equal(formatTcpTransport([0, 1], 'play'), 'RTP/AVP/TCP;unicast;interleaved=0-1');
    assert.equal(formatTcpTransport([2, 3], 'record'), 'RTP/AVP/TCP;unicast;interleaved=2-3;mode=record');
  });
});

describe('parseTarget', () => {
  it('reads path, query and track, ffmpeg’s query-then-streamid form included', () => {
    const t = parseTarget('rtsp://127.0.0.1:8554/cam?token=abc/streamid=0');
    assert.equal(t?.path, 'cam');
    assert.equal(t?.query.get('token'), 'abc');
    assert.equal(t?.track, 0);
    assert.deepEqual(
      (({ path, track }) => ({ path, track }))(parseTarget('rtsp://station:8554/site/cam2/trackID=1')!),
      { path: 'site/cam2', track: 1 },
    );
    assert.equal(parseTarget('rtsp://station:8554/cam/')?.path, 'cam');
    assert.equal(parseTarget('rtsp://station:8554/cam')?.track, undefined);
    assert.equal(parseTarget('/cam')?.path, 'cam');
    assert.equal(parseTarget('*')?.path, '');
  });

  it('refuses other schemes, traversal and odd characters', () => {
    for (const u of [
      'http://h/cam',
      'rtsp://h/../etc',
      'rtsp://h/a/%2e%2e/b',
      'rtsp://h/ca m',
      'rtsp://h/%ff',
      'not a url',
      'rtsp://h/<script>',
    ])
      assert.equal(parseTarget(u), undefined, u);
  });
});

describe('SDP', () => {
  it('lists the tracks with codec and control', () => {
    assert.deepEqual(parseSdp(FFMPEG_SDP).tracks, [
      { index: 0, media: 'video', codec: 'H264', control: 'streamid=0' },
    ]);
    const two =
      FFMPEG_SDP + 'm=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\na=control:streamid=1\r\n';
    assert.deepEqual(
      parseSdp(two).tracks.map((t) => `${t.index}:${t.media}:${t.codec}:${t.control}`),
      ['0:video:H264:streamid=0', '1:audio:MPEG4-GENERIC:streamid=1'],
    );
  });

  it('refuses a description without media', () => {
    assert.throws(() => parseSdp('v=0\r\ns=x\r\n'));
    assert.throws(() => parseSdp('garbage'));
  });

  it('rewrites controls to trackID=N, hides the publisher address, keeps sprop-parameter-sets', () => {
    const out = rewriteSdpForPlayers(
      FFMPEG_SDP.replace('t=0 0', 't=0 0\r\na=control:rtsp://127.0.0.1/cam?token=s3cret'),
    );
    assert.match(out, /\r\na=control:trackID=0\r\n/);
    assert.doesNotMatch(out, /streamid|s3cret|127\.0\.0\.1/);
    assert.match(out, /sprop-parameter-sets=Z0LAC9oFB\+wEQAAAAwBAAAAFA8UKqA==,aM4PyA==/);
    assert.match(out, /\r\nc=IN IP4 0\.0\.0\.0\r\n/);
    assert.equal(out.match(/a=control:/g)?.length, 1);
    assert.ok(out.endsWith('\r\n'));
    // Players parse the rewrite the same way.
    assert.deepEqual(parseSdp(out).tracks[0], {
      index: 0,
      media: 'video',
      codec: 'H264',
      control: 'trackID=0',
    });
  });
});

describe('H.264 keyframe start', () => {
  it('finds IDR and SPS in single NAL, STAP-A and the first FU-A fragment only', () => {
    assert.equal(isH264KeyframeStart(rtp([0x65, 1, 2])), true, 'IDR');
    assert.equal(isH264KeyframeStart(rtp([0x67, 1, 2])), true, 'SPS');
    assert.equal(isH264KeyframeStart(rtp([0x41, 1, 2])), false, 'non-IDR slice');
    assert.equal(isH264KeyframeStart(rtp([0x68, 1])), false, 'PPS alone');
    assert.equal(isH264KeyframeStart(rtp([0x06, 1])), false, 'SEI');
    // STAP-A: SEI (2 bytes) then SPS (2 bytes).
    assert.equal(isH264KeyframeStart(rtp([0x78, 0, 2, 0x06, 9, 0, 2, 0x67, 1])), true, 'STAP-A with SPS');
    assert.equal(isH264KeyframeStart(rtp([0x78, 0, 2, 0x06, 9, 0, 2, 0x68, 1])), false, 'STAP-A without');
    assert.equal(isH264KeyframeStart(rtp([0x78, 0, 9, 0x67])), false, 'STAP-A with a size past the end');
    assert.equal(isH264KeyframeStart(rtp([0x7c, 0x85, 1, 2])), true, 'FU-A start of IDR');
    assert.equal(isH264KeyframeStart(rtp([0x7c, 0x05, 1, 2])), false, 'FU-A middle of IDR');
    assert.equal(isH264KeyframeStart(rtp([0x7c, 0x81, 1, 2])), false, 'FU-A start of non-IDR');
  });

  it('skips CSRCs, the header extension and padding; refuses what is not RTP', () => {
    assert.equal(isH264KeyframeStart(rtp([0x65, 1], { csrc: 2 })), true);
    assert.equal(isH264KeyframeStart(rtp([0x65, 1], { ext: 1 })), true);
    assert.deepEqual([...(rtpPayload(rtp([0x65, 7], { padding: 3 })) ?? [])], [0x65, 7]);
    assert.equal(rtpPayload(Buffer.alloc(5)), undefined);
    assert.equal(rtpPayload(Buffer.from([0x40, ...Buffer.alloc(12)])), undefined, 'version 1');
    assert.equal(isH264KeyframeStart(Buffer.alloc(0)), false);
    // Padding longer than the packet.
    const p = rtp([0x65], { padding: 1 });
    p[p.length - 1] = 200;
    assert.equal(rtpPayload(p), undefined);
  });
});
