/**
 * The RTSP relay (docs/rtsp-stream.md): each camera's ffmpeg publishes H.264 to it over
 * RTSP/TCP (ANNOUNCE, SETUP mode=record, RECORD, then `$`-interleaved RTP), and lab tools
 * (VLC, ffplay, ffprobe, OpenCV) play `rtsp://station:8554/<camera>` from it, RTP/AVP/TCP
 * interleaved only (UDP is refused with 461: one TCP connection per player, no ports to open).
 *
 * Why hand-written: the npm candidates do not fit. rtsp-streaming-server (2.1.0) publishes and
 * plays on two separate ports, allocates UDP port ranges, and its TCP-interleaved sender (new in
 * 2.1) queues a slow player's packets without bound (memory grows until the process dies); it
 * has no keyframe start and pulls in winston 2 and uuid 3. node-rtsp-rtmp-server is CoffeeScript,
 * unmaintained for years. The subset needed here is small.
 *
 * The rules that keep it safe on a station:
 *  - publishing is allowed from loopback only (by default) and, when a token is configured for a
 *    path, only with `?token=` matching it: nobody on the LAN can take over a camera's path;
 *  - a player whose socket has more than `maxPlayerQueueBytes` unsent gets packets dropped (never
 *    the publisher or the other players slowed), then waits for the next keyframe to start again
 *    cleanly, and is closed when it stays stuck `stuckCloseMs`;
 *  - players are limited (`maxPlayers`, 453 beyond), connections too, requests bounded in size;
 *    garbage is answered 400 and the connection closed; idle connections time out;
 *  - a new player is held back until a keyframe (IDR or SPS), so its first picture decodes;
 *  - when the publisher goes, its players' connections are closed (they see EOF).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from '../../../adapters/logger.js';
import { OutpostError } from '../../../core/errors.js';
import { isH264KeyframeStart } from './h264.js';
import {
  formatResponse,
  frameHeader,
  RtspFramingError,
  RtspReader,
  type InterleavedFrame,
  type RtspRequest,
} from './message.js';
import { parseSdp, rewriteSdpForPlayers, type SdpTrack } from './sdp.js';
import { formatTcpTransport, parseTarget, parseTransport, type RtspTarget } from './transport.js';

export interface RtspRelayOptions {
  /** Who may publish: loopback addresses only (default), or anyone (with a token, for tests). */
  publishFrom?: 'loopback' | 'anywhere';
  /**
   * The secret a publisher of `path` must give as `?token=`; undefined: none asked. A string is
   * one token for every path.
   */
  publishToken?: string | ((path: string) => string | undefined);
  /** Players at once, all paths together (default 8); a SETUP beyond gets 453. */
  maxPlayers?: number;
  /** TCP connections at once (default maxPlayers + 16, room for publishers and callers). */
  maxConnections?: number;
  /** Unsent bytes a player's socket may hold before its packets are dropped (default 512 KiB). */
  maxPlayerQueueBytes?: number;
  /** A player dropping packets this long is closed (default 5 s). */
  stuckCloseMs?: number;
  /** A connection that sends nothing this long is closed (default 60 s; the Session timeout). */
  idleTimeoutMs?: number;
  /** Hold a new player's packets until an H.264 keyframe (default true). */
  waitForKeyframe?: boolean;
  /** Request head bytes (default 8 KiB). */
  maxHeadBytes?: number;
  /** Request body bytes (default 64 KiB). */
  maxBodyBytes?: number;
}

/** One path's figures (`status()`). */
export interface RtspPathStatus {
  path: string;
  publishing: boolean;
  players: number;
  /** RTP/RTCP payload bytes received from the publisher. */
  bytesIn: number;
  /** Bytes written to players (frame headers included). */
  bytesOut: number;
  /** Packets not sent to a player: its queue was full, or it waited for a keyframe after drops. */
  packetsDropped: number;
  /** Players closed for staying stuck. */
  playersClosedStuck: number;
}

interface PlayerTrack {
  track: SdpTrack;
  channels: [number, number];
}

/** A connection's state: nothing yet, a player, or a publisher. */
interface Conn {
  id: number;
  socket: Socket;
  reader: RtspReader;
  remote: string;
  lastRx: number;
  sessionId?: string;
  role?: 'player' | 'publisher';
  /** The path this connection plays or publishes. */
  path?: string;
  // Player state.
  tracks: Map<number, PlayerTrack>;
  playing: boolean;
  waitingForKey: boolean;
  stuckSince?: number;
  // Publisher state.
  /** Publisher channel → track index (from its SETUPs). */
  channels: Map<number, number>;
  recording: boolean;
  closed: boolean;
}

interface PathState {
  path: string;
  publisher: Conn;
  sdp: string;
  playerSdp: string;
  tracks: SdpTrack[];
  players: Set<Conn>;
  bytesIn: number;
  bytesOut: number;
  packetsDropped: number;
  playersClosedStuck: number;
}

const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, ANNOUNCE, RECORD';

/** Whether an address is the machine itself (IPv4 127/8, IPv6 ::1, IPv4-mapped loopback). */
export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/**
 * Close gracefully (the last reply and queued packets go out, then FIN), but destroy the socket
 * if the peer has not taken them within 2 s: a stuck peer must not keep it open.
 */
function endSoon(socket: Socket, last?: Buffer): void {
  if (socket.destroyed) return;
  if (last) socket.end(last);
  else socket.end();
  setTimeout(() => socket.destroy(), 2000).unref();
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class RtspRelay {
  private readonly server: Server;
  private readonly conns = new Set<Conn>();
  private readonly paths = new Map<string, PathState>();
  private readonly o: Required<Omit<RtspRelayOptions, 'publishToken'>> &
    Pick<RtspRelayOptions, 'publishToken'>;
  private nextId = 1;
  private players = 0;
  private sweep?: NodeJS.Timeout;

  constructor(
    opts: RtspRelayOptions,
    private readonly log: Logger,
  ) {
    const maxPlayers = opts.maxPlayers ?? 8;
    this.o = {
      publishFrom: opts.publishFrom ?? 'loopback',
      publishToken: opts.publishToken,
      maxPlayers,
      maxConnections: opts.maxConnections ?? maxPlayers + 16,
      maxPlayerQueueBytes: opts.maxPlayerQueueBytes ?? 512 * 1024,
      stuckCloseMs: opts.stuckCloseMs ?? 5000,
      idleTimeoutMs: opts.idleTimeoutMs ?? 60_000,
      waitForKeyframe: opts.waitForKeyframe ?? true,
      maxHeadBytes: opts.maxHeadBytes ?? 8 * 1024,
      maxBodyBytes: opts.maxBodyBytes ?? 64 * 1024,
    };
    for (const k of [
      'maxPlayers',
      'maxConnections',
      'maxPlayerQueueBytes',
      'stuckCloseMs',
      'idleTimeoutMs',
    ] as const)
      if (!(Number.isInteger(this.o[k]) && this.o[k] > 0))
        throw new OutpostError('INVALID_INPUT', `rtsp relay: ${k} must be a positive integer`);
    this.server = createServer((s) => this.accept(s));
    this.server.maxConnections = this.o.maxConnections;
  }

  /** Listen (port 0: any free port). Resolves with the bound address. */
  async listen(port: number, host = '0.0.0.0'): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error & { code?: string }): void => {
        reject(
          new OutpostError(
            'RECORDER_FAILED',
            `rtsp relay cannot listen on ${host}:${port}: ${e.code ?? e.message}`,
            {
              cause: e,
              hint:
                e.code === 'EADDRINUSE'
                  ? 'Another program uses this port: choose another RTSP port in the recorder settings.'
                  : undefined,
            },
          ),
        );
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (e) => this.log.warn({ err: e }, 'rtsp relay: server error'));
    this.sweep = setInterval(() => this.sweepIdle(), Math.min(5000, this.o.idleTimeoutMs));
    this.sweep.unref();
    const addr = this.server.address() as AddressInfo;
    this.log.info({ port: addr.port, host: addr.address }, 'rtsp relay listening');
    return addr;
  }

  /** Per path: publishing, players, bytes relayed. */
  status(): RtspPathStatus[] {
    return [...this.paths.values()].map((p) => ({
      path: p.path,
      publishing: p.publisher.recording,
      players: p.players.size,
      bytesIn: p.bytesIn,
      bytesOut: p.bytesOut,
      packetsDropped: p.packetsDropped,
      playersClosedStuck: p.playersClosedStuck,
    }));
  }

  /** Close every connection and stop listening. */
  async close(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    for (const c of [...this.conns]) this.drop(c, 'relay closing', true);
    await new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }

  // ---- connections ---------------------------------------------------------------------------

  private accept(socket: Socket): void {
    const c: Conn = {
      id: this.nextId++,
      socket,
      reader: new RtspReader({ maxHeadBytes: this.o.maxHeadBytes, maxBodyBytes: this.o.maxBodyBytes }),
      remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      lastRx: Date.now(),
      tracks: new Map(),
      playing: false,
      waitingForKey: this.o.waitForKeyframe,
      channels: new Map(),
      recording: false,
      closed: false,
    };
    this.conns.add(c);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(c, chunk));
    socket.on('error', (e) => this.log.debug({ err: e, conn: c.id }, 'rtsp relay: socket error'));
    socket.on('close', () => this.drop(c, 'connection closed', false));
  }

  private onData(c: Conn, chunk: Buffer): void {
    if (c.closed) return;
    c.lastRx = Date.now();
    let messages;
    try {
      messages = c.reader.push(chunk);
    } catch (e) {
      const status = e instanceof RtspFramingError ? e.status : 400;
      this.log.info(
        { conn: c.id, remote: c.remote, reason: (e as Error).message },
        'rtsp relay: unreadable input',
      );
      endSoon(c.socket, formatResponse(status, { Connection: 'close' }));
      this.drop(c, 'unreadable input', false);
      return;
    }
    for (const m of messages) {
      if (c.closed) return;
      if (m.kind === 'frame') this.onFrame(c, m.frame);
      else this.onRequest(c, m.request);
    }
  }

  /** Forget a connection; its path when it published, its place when it played. */
  private drop(c: Conn, why: string, destroy: boolean): void {
    if (destroy) c.socket.destroy();
    if (c.closed) return;
    c.closed = true;
    this.conns.delete(c);
    if (c.role === 'player') {
      this.players--;
      if (c.path) this.paths.get(c.path)?.players.delete(c);
    }
    if (c.role === 'publisher' && c.path) {
      const p = this.paths.get(c.path);
      if (p && p.publisher === c) {
        this.paths.delete(c.path);
        this.log.info({ path: c.path, players: p.players.size, why }, 'rtsp relay: publisher gone');
        // Players of a stream that ended get EOF; a new publisher's stream starts afresh.
        for (const pl of [...p.players]) {
          endSoon(pl.socket);
          this.drop(pl, 'publisher gone', false);
        }
      }
    }
    if (!destroy && why !== 'connection closed') endSoon(c.socket);
  }

  private sweepIdle(): void {
    const now = Date.now();
    for (const c of [...this.conns]) {
      // A publisher speaks all the time; a player sends keepalives (GET_PARAMETER, RTCP reports).
      if (now - c.lastRx > this.o.idleTimeoutMs) {
        this.log.info({ conn: c.id, remote: c.remote }, 'rtsp relay: idle connection closed');
        this.drop(c, 'idle', true);
      }
    }
  }

  // ---- requests ------------------------------------------------------------------------------

  private reply(
    c: Conn,
    req: RtspRequest,
    status: number,
    headers: Record<string, string | number> = {},
    body?: string,
  ): void {
    const h: Record<string, string | number> = { CSeq: req.headers.get('cseq') ?? '0', Server: 'outpost' };
    if (c.sessionId) h.Session = `${c.sessionId};timeout=${Math.round(this.o.idleTimeoutMs / 1000)}`;
    if (!c.socket.destroyed) c.socket.write(formatResponse(status, { ...h, ...headers }, body));
  }

  private onRequest(c: Conn, req: RtspRequest): void {
    if (!req.headers.has('cseq')) return this.reply(c, req, 400);
    if (req.version !== 'RTSP/1.0') return this.reply(c, req, 505);
    // A request naming another session than this connection's (RTSP over TCP: one per connection).
    const session = req.headers.get('session')?.split(';')[0]?.trim();
    if (session && session !== c.sessionId) return this.reply(c, req, 454);
    const target = parseTarget(req.url);
    switch (req.method) {
      case 'OPTIONS':
        return this.reply(c, req, 200, { Public: PUBLIC_METHODS });
      case 'GET_PARAMETER':
        // Keepalive (VLC, ffmpeg); no parameters are offered.
        return this.reply(c, req, 200);
      case 'DESCRIBE':
        return this.describe(c, req, target);
      case 'SETUP':
        return c.role === 'publisher'
          ? this.setupPublisher(c, req, target)
          : this.setupPlayer(c, req, target);
      case 'PLAY':
        return this.play(c, req);
      case 'ANNOUNCE':
        return this.announce(c, req, target);
      case 'RECORD':
        return this.record(c, req);
      case 'TEARDOWN':
        this.reply(c, req, 200, { Connection: 'close' });
        return this.drop(c, 'teardown', false);
      case 'PAUSE':
        // A live stream does not pause; the RFC's answer for a method this resource refuses.
        return this.reply(c, req, 455, { Allow: PUBLIC_METHODS });
      default:
        return this.reply(c, req, 501, { Public: PUBLIC_METHODS });
    }
  }

  private describe(c: Conn, req: RtspRequest, target: RtspTarget | undefined): void {
    if (c.role === 'publisher') return this.reply(c, req, 455);
    const p = target && this.paths.get(target.path);
    if (!p) return this.reply(c, req, 404);
    // Track URLs are relative to the URL the player asked for (`…/cam/trackID=0`).
    const base = `${req.url.replace(/\?.*$/, '').replace(/\/+$/, '')}/`;
    this.reply(c, req, 200, { 'Content-Type': 'application/sdp', 'Content-Base': base }, p.playerSdp);
  }

  private setupPlayer(c: Conn, req: RtspRequest, target: RtspTarget | undefined): void {
    if (c.playing) return this.reply(c, req, 455);
    const p = target && this.paths.get(target.path);
    if (!target || !p) return this.reply(c, req, 404);
    if (c.path !== undefined && c.path !== target.path) return this.reply(c, req, 459);
    const track = p.tracks[target.track ?? 0];
    if (!track) return this.reply(c, req, 404);
    const specs = parseTransport(req.headers.get('transport') ?? '');
    const spec = specs.find((s) => s.tcp && !s.multicast);
    if (!spec) {
      // Tell the client what it can do instead (ffmpeg prints the reason; VLC retries over TCP).
      return this.reply(c, req, 461, {
        'X-Reason':
          'only RTP/AVP/TCP interleaved is offered (e.g. ffplay -rtsp_transport tcp, VLC --rtsp-tcp)',
      });
    }
    const used = new Set([...c.tracks.values()].flatMap((t) => t.channels));
    let channels = spec.interleaved;
    if (!channels || used.has(channels[0]) || used.has(channels[1])) {
      let a = 0;
      while (used.has(a) || used.has(a + 1)) a += 2;
      channels = [a, a + 1];
    }
    if (c.role !== 'player') {
      if (this.players >= this.o.maxPlayers) {
        this.log.info({ path: p.path, remote: c.remote }, 'rtsp relay: too many players');
        return this.reply(c, req, 453);
      }
      c.role = 'player';
      c.path = p.path;
      c.sessionId = randomBytes(8).toString('hex');
      this.players++;
    }
    c.tracks.set(track.index, { track, channels });
    this.reply(c, req, 200, { Transport: formatTcpTransport(channels, 'play') });
  }

  private play(c: Conn, req: RtspRequest): void {
    if (c.role !== 'player' || !c.path) return this.reply(c, req, c.sessionId ? 455 : 454);
    const p = this.paths.get(c.path);
    if (!p) return this.reply(c, req, 404);
    this.reply(c, req, 200, { Range: 'npt=0.000-' });
    if (!c.playing) {
      c.playing = true;
      c.waitingForKey =
        this.o.waitForKeyframe && [...c.tracks.values()].some((t) => t.track.codec === 'H264');
      p.players.add(c);
      this.log.info({ path: p.path, remote: c.remote, players: p.players.size }, 'rtsp relay: player joined');
    }
  }

  private announce(c: Conn, req: RtspRequest, target: RtspTarget | undefined): void {
    if (c.role) return this.reply(c, req, 455);
    if (!target || !target.path) return this.reply(c, req, 404);
    if (this.o.publishFrom === 'loopback' && !isLoopback(c.socket.remoteAddress)) {
      this.log.warn(
        { path: target.path, remote: c.remote },
        'rtsp relay: publish refused (not from loopback)',
      );
      return this.reply(c, req, 403);
    }
    const tok = this.o.publishToken;
    const want = typeof tok === 'function' ? tok(target.path) : tok;
    if (want !== undefined && !sameSecret(target.query.get('token') ?? '', want)) {
      this.log.warn({ path: target.path, remote: c.remote }, 'rtsp relay: publish refused (token)');
      return this.reply(c, req, 403);
    }
    const type = (req.headers.get('content-type') ?? '').toLowerCase();
    if (!type.startsWith('application/sdp')) return this.reply(c, req, 415);
    const sdp = req.body.toString('utf8');
    let tracks: SdpTrack[];
    try {
      tracks = parseSdp(sdp).tracks;
    } catch (e) {
      return this.reply(c, req, 400, { 'X-Reason': (e as Error).message });
    }
    const old = this.paths.get(target.path);
    if (old) {
      // Without a token anyone on the machine could take a camera's path: refused. With the
      // token it is the recorder itself (a restarted ffmpeg whose predecessor's connection has
      // not gone yet): the new one takes over, or its stream would stay off for its whole life.
      if (want === undefined) return this.reply(c, req, 403, { 'X-Reason': 'path already has a publisher' });
      this.log.info({ path: target.path }, 'rtsp relay: publisher replaced');
      this.drop(old.publisher, 'replaced', true);
    }
    c.role = 'publisher';
    c.path = target.path;
    c.sessionId = randomBytes(8).toString('hex');
    this.paths.set(target.path, {
      path: target.path,
      publisher: c,
      sdp,
      playerSdp: rewriteSdpForPlayers(sdp),
      tracks,
      players: new Set(),
      bytesIn: 0,
      bytesOut: 0,
      packetsDropped: 0,
      playersClosedStuck: 0,
    });
    this.log.info(
      { path: target.path, tracks: tracks.map((t) => t.codec) },
      'rtsp relay: publisher announced',
    );
    this.reply(c, req, 200);
  }

  private setupPublisher(c: Conn, req: RtspRequest, target: RtspTarget | undefined): void {
    if (c.recording) return this.reply(c, req, 455);
    const p = c.path ? this.paths.get(c.path) : undefined;
    if (!p || !target || target.path !== c.path) return this.reply(c, req, 404);
    // ffmpeg names tracks by their control attribute (streamid=N); match it, else by index.
    const track =
      p.tracks.find((t) => t.control && req.url.endsWith(`/${t.control}`)) ?? p.tracks[target.track ?? 0];
    if (!track) return this.reply(c, req, 404);
    const spec = parseTransport(req.headers.get('transport') ?? '').find((s) => s.tcp && !s.multicast);
    if (!spec || !spec.interleaved) {
      return this.reply(c, req, 461, {
        'X-Reason': 'publish with RTP/AVP/TCP interleaved (-rtsp_transport tcp)',
      });
    }
    c.channels.set(spec.interleaved[0], track.index);
    c.channels.set(spec.interleaved[1], track.index);
    this.reply(c, req, 200, { Transport: formatTcpTransport(spec.interleaved, 'record') });
  }

  private record(c: Conn, req: RtspRequest): void {
    if (c.role !== 'publisher' || c.channels.size === 0) return this.reply(c, req, 455);
    c.recording = true;
    this.log.info({ path: c.path }, 'rtsp relay: publishing');
    this.reply(c, req, 200);
  }

  // ---- media ---------------------------------------------------------------------------------

  private onFrame(c: Conn, frame: InterleavedFrame): void {
    // Players send RTCP receiver reports: liveness only (lastRx), nothing to relay.
    if (c.role !== 'publisher' || !c.recording || !c.path) return;
    const p = this.paths.get(c.path);
    const trackIndex = c.channels.get(frame.channel);
    if (!p || trackIndex === undefined) return;
    p.bytesIn += frame.payload.length;
    const isRtcp = frame.channel % 2 === 1;
    const track = p.tracks[trackIndex];
    let key: boolean | undefined;
    const now = Date.now();
    for (const pl of p.players) {
      const t = pl.tracks.get(trackIndex);
      if (!t) continue;
      if (pl.waitingForKey) {
        if (isRtcp || track?.codec !== 'H264') continue;
        key ??= isH264KeyframeStart(frame.payload);
        if (!key) {
          p.packetsDropped++;
          continue;
        }
        pl.waitingForKey = false;
      }
      if (pl.socket.writableLength > this.o.maxPlayerQueueBytes) {
        // A slow player: its packets go, nobody else waits. It starts again at a keyframe once
        // its queue drains (a torn picture helps no one), and is closed if it never drains.
        p.packetsDropped++;
        pl.stuckSince ??= now;
        pl.waitingForKey = this.o.waitForKeyframe && track?.codec === 'H264';
        if (now - pl.stuckSince > this.o.stuckCloseMs) {
          p.playersClosedStuck++;
          this.log.info({ path: p.path, remote: pl.remote }, 'rtsp relay: stuck player closed');
          this.drop(pl, 'stuck', true);
        }
        continue;
      }
      pl.stuckSince = undefined;
      const ch = isRtcp ? t.channels[1] : t.channels[0];
      // One writev for header and payload; the payload buffer is shared by all players.
      pl.socket.cork();
      pl.socket.write(frameHeader(ch, frame.payload.length));
      pl.socket.write(frame.payload);
      pl.socket.uncork();
      p.bytesOut += 4 + frame.payload.length;
    }
  }
}
