/**
 * The publisher's session description (SDP, RFC 4566) as the relay sees it: its media sections
 * (one per track, with the codec of the first payload type), and the same description rewritten
 * for players: each track's control URL becomes `trackID=N` under the stream's own URL (players
 * never see the publisher's URL, token included), and the loopback connection address becomes
 * 0.0.0.0. Everything else (sprop-parameter-sets above all) is passed on as the publisher wrote it.
 * Pure.
 */

export interface SdpTrack {
  /** Index among the media sections, 0-based: `trackID=N` for players, `streamid=N` for ffmpeg. */
  index: number;
  /** `video`, `audio`… */
  media: string;
  /** Encoding name of the first payload type's rtpmap, upper-cased (`H264`), '' when unknown. */
  codec: string;
  /** The publisher's control attribute (`streamid=0`), '' when absent. */
  control: string;
}

export interface ParsedSdp {
  tracks: SdpTrack[];
}

function lines(sdp: string): string[] {
  return sdp.split(/\r?\n/).filter((l) => l.length > 0);
}

/** Tracks of a description. Throws a plain Error (the caller answers 400) when it has none. */
export function parseSdp(sdp: string): ParsedSdp {
  const tracks: SdpTrack[] = [];
  let cur: (SdpTrack & { pt: string }) | undefined;
  for (const l of lines(sdp)) {
    if (l.startsWith('m=')) {
      const [media = '', , , pt = ''] = l.slice(2).split(' ');
      cur = { index: tracks.length, media, codec: '', control: '', pt };
      tracks.push(cur);
    } else if (cur && l.startsWith('a=rtpmap:')) {
      const m = /^a=rtpmap:(\d+)\s+([^/\s]+)/.exec(l);
      if (m && m[1] === cur.pt && !cur.codec) cur.codec = (m[2] ?? '').toUpperCase();
    } else if (cur && l.startsWith('a=control:')) cur.control = l.slice('a=control:'.length).trim();
  }
  if (tracks.length === 0) throw new Error('the description has no media section');
  return { tracks: tracks.map(({ index, media, codec, control }) => ({ index, media, codec, control })) };
}

/**
 * The description players get: session-level `a=control` dropped, each media section's control
 * set to `trackID=N` (relative to the Content-Base the DESCRIBE reply sends), connection
 * addresses 0.0.0.0 (TCP interleaved needs none), CRLF line ends.
 */
export function rewriteSdpForPlayers(sdp: string): string {
  const out: string[] = [];
  let track = -1;
  for (const l of lines(sdp)) {
    if (l.startsWith('m=')) {
      track++;
      out.push(l);
      out.push(`a=control:trackID=${track}`);
      continue;
    }
    if (l.startsWith('a=control:')) continue;
    if (l.startsWith('c=')) {
      out.push('c=IN IP4 0.0.0.0');
      continue;
    }
    if (l.startsWith('o=')) {
      // The origin's address is the publisher's (loopback); keep the rest.
      out.push(l.replace(/IN IP[46] \S+$/, 'IN IP4 0.0.0.0'));
      continue;
    }
    out.push(l);
  }
  return out.join('\r\n') + '\r\n';
}
