import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rm, type FileHandle } from 'node:fs/promises';
import { isIPv4, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createSecureContext, TLSSocket } from 'node:tls';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FtpSrv, type FileSystem } from 'ftp-srv';
import type { Clock } from '../../adapters/clock.js';
import type { Logger } from '../../adapters/logger.js';
import { clientAddressKey, createAttemptLimiter, isReservation } from '../../auth/rate-limit.js';
import { errnoCode, isOutpostError, OutpostError } from '../../core/errors.js';
import { AreaFs } from './area-fs.js';
import { RecentUploads } from './area-path.js';

/**
 * The FTP server IP/CCTV cameras upload JPEG snapshots to (docs/snapshots-ftp.md), on ftp-srv.
 * Upload only: each login is one camera, chrooted to its own area, and the bytes of a STOR go to
 * a temporary file (hashed while they stream) that {@link SnapshotFtpOptions.accept} takes into
 * the library. Nothing is ever read back, deleted or renamed through FTP.
 *
 * Plain FTP sends the password in clear text: keep it on the cameras' own network (the CCTV VLAN
 * or subnet), and give `tls` so that cameras that can use FTPS (explicit, AUTH TLS) do.
 */

/** One finished upload, handed to {@link SnapshotFtpOptions.accept}. */
export interface FtpUpload {
  /** The login. */
  user: string;
  /** The camera this login belongs to (the camera is who logged in, not the folder it wrote to). */
  camera: string;
  /** Where the camera wrote it, relative to its area, POSIX, normalised (`2026-12-04/001/jpg/10/15/03[R][0@0][0].jpg`). */
  path: string;
  /** Absolute path of the complete temporary file holding the bytes (in {@link SnapshotFtpOptions.tmpDir}). */
  file: string;
  bytes: number;
  /** Hex SHA-256 of the bytes, computed while they streamed. */
  sha256: string;
  /** `clock.now()` when the upload completed. */
  receivedAt: Date;
  remoteAddress: string;
}

export interface SnapshotFtpOptions {
  /** Address to listen on (control and passive data connections). */
  host: string;
  /** Control port; 0 = any free port (tests). */
  port: number;
  /** The passive data ports (open them in a firewall between cameras and station). */
  passivePorts: { min: number; max: number };
  /** The IPv4 address cameras must use for passive data connections (answered to PASV). */
  publicAddress: string;
  /** One login per camera. Plain FTP sends these passwords in clear text (see the module note). */
  users: { user: string; password: string; camera: string }[];
  /** Explicit FTPS (AUTH TLS) when given; cameras that cannot do it still log in in plain FTP. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /** Per-user upload areas are `<areaDir>/<user>/` (made on demand); the folders a camera MKDs are real folders there. */
  areaDir: string;
  /**
   * Uploads stream to `<tmpDir>/ftp-<random>.part`; stale `ftp-*.part` files are removed at start.
   * Or a function: the folder now (the library drive's tmp, so a kept upload is linked into place,
   * never copied), undefined while there is none (a STOR is refused with 451 before its bytes).
   */
  tmpDir: string | (() => string | undefined);
  /** An upload refused by the server itself (too big, aborted, empty, no drive): for the status page. */
  onReject?(r: { camera: string; reason: FtpRejectReason; message: string }): void;
  /** An upload bigger than this is cut off (552) and its temporary file removed. */
  maxFileBytes: number;
  /** More simultaneous control connections than this are refused (421). */
  maxConnections: number;
  /** A control or data connection idle this long is closed (a camera that never closes its data connection). */
  idleTimeoutMs: number;
  /** Wrong passwords per client address: after `maxFailures` in `windowMs`, logins are refused (even right ones) until the window passes. */
  login: { maxFailures: number; windowMs: number };
  /**
   * Called once an upload completed: resolve → 226 to the camera; throw → 451 (or 550 for an
   * Outpost error that says the upload itself is wrong) with the error's message, and the
   * temporary file is removed. After resolving, `accept` owns the file (moves, links or deletes
   * it); the server removes it only if it is still there.
   */
  accept(u: FtpUpload): Promise<void>;
  log: Logger;
  clock: Clock;
}

/** Why an upload was not accepted. */
export type FtpRejectReason =
  'too-big' | 'aborted' | 'empty' | 'refused-by-accept' | 'write-failed' | 'no-drive';

export interface FtpStats {
  /** Control connections open now. */
  connections: number;
  /** Control connections refused for being over `maxConnections`. */
  connectionsRefused: number;
  uploadsAccepted: number;
  rejected: Record<FtpRejectReason, number>;
  /** Wrong user names or passwords. */
  loginFailures: number;
  /** Logins refused because their address had too many failures. */
  loginsBlocked: number;
}

export interface SnapshotFtp {
  /** The control port listened on. */
  port: number;
  close(): Promise<void>;
  stats(): FtpStats;
}

/**
 * The commands a camera needs to upload, and to probe before and after: everything else is
 * refused with 502. Notably refused: RETR, DELE, RNFR/RNTO, RMD, SITE, APPE, STOU, REST, STAT,
 * MDTM, HELP, and PORT/EPRT: no active mode at all, since a server that connects out to the
 * address a client names can be made to attack third hosts (the "FTP bounce"), and cameras all do
 * passive mode anyway.
 */
export const FTP_ALLOWED_COMMANDS = [
  'USER',
  'PASS',
  'CWD',
  'CDUP',
  'MKD',
  'STOR',
  'PWD',
  'TYPE',
  'SIZE',
  'LIST',
  'NLST',
  'FEAT',
  'SYST',
  'NOOP',
  'QUIT',
  'OPTS',
  'PASV',
  'EPSV',
  'MODE',
  'STRU',
  'ALLO',
  'ABOR',
  'AUTH',
  'PBSZ',
  'PROT',
] as const;
const ALLOWED = new Set<string>(FTP_ALLOWED_COMMANDS);

/** Recent uploads remembered per user for SIZE and LIST after STOR. */
const RECENT_PER_USER = 2000;
/** Commands a client may have waiting for their turn (a camera sends one at a time). */
const MAX_PENDING_COMMANDS = 64;
/** How long after its data connection ended a client's control connection must still be there. */
const CONTROL_GRACE_MS = 20;
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

// ftp-srv's internals this file drives (4.6.3; its typings leave them out).
interface ParsedCommand {
  directive: string;
  arg: string | null;
  flags: string[];
  raw: string;
}
interface FtpConnection extends EventEmitter {
  id: string;
  commandSocket: Socket;
  secure: boolean;
  connector: { waitForConnection(): PromiseLike<Socket>; end(): void };
  commands: { handle(c: string | ParsedCommand): PromiseLike<unknown>; parse(m: string): ParsedCommand };
  reply(options: number | object, ...letters: unknown[]): PromiseLike<unknown>;
  close(code?: number, message?: string): PromiseLike<unknown>;
}

interface Session {
  conn: FtpConnection;
  remoteAddress: string;
  login?: { user: string; camera: string; area: AreaFs };
  /** Commands run one after the other (ftp-srv would run those of separate packets side by side). */
  chain: Promise<void>;
  /** The STOR under way: ABOR, QUIT or the control connection closing abort it. */
  upload?: { abort(): void };
  /** The last STOR was aborted by ABOR: the ABOR's own answer is then 226, not 225. */
  aborted: boolean;
  gone: boolean;
  /** Commands received and not answered yet. */
  pending: number;
  idle?: NodeJS.Timeout;
  /** ftp-srv's own handler, for the commands it answers itself. */
  original: (c: ParsedCommand) => PromiseLike<unknown>;
}

export async function startSnapshotFtp(o: SnapshotFtpOptions): Promise<SnapshotFtp> {
  const users = checkOptions(o);
  const log = o.log.child({ component: 'snapshot-ftp' });
  await mkdir(o.areaDir, { recursive: true });
  const areaDir = await realpath(o.areaDir);
  // A fixed folder is made and swept here; a folder that follows the library drive is its owner's.
  const fixedTmp = typeof o.tmpDir === 'string' ? await realpath(await mkdirP(o.tmpDir)) : undefined;
  if (fixedTmp) await removeStaleParts(fixedTmp, log);
  const tmpDirNow = (): string | undefined => fixedTmp ?? (o.tmpDir as () => string | undefined)();

  const stats: FtpStats = {
    connections: 0,
    connectionsRefused: 0,
    uploadsAccepted: 0,
    rejected: {
      'too-big': 0,
      aborted: 0,
      empty: 0,
      'refused-by-accept': 0,
      'write-failed': 0,
      'no-drive': 0,
    },
    loginFailures: 0,
    loginsBlocked: 0,
  };
  const limiter = createAttemptLimiter({ windowMs: o.login.windowMs });
  const recent = new Map<string, RecentUploads>();
  const sessions = new Set<Session>();
  const inflight = new Set<Promise<void>>();
  const refused = new Set<Socket>();
  const sessionOf = new WeakMap<object, Session>();
  let closing = false;

  // ftp-srv hooks SIGTERM/SIGINT/SIGQUIT to close itself and process.exit(0): that is the
  // station's decision, not this server's. Its hooks are taken off again right away.
  const signals = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;
  const hooked = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const ftp = new FtpSrv({
    url: `ftp://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`,
    pasv_min: o.passivePorts.min,
    pasv_max: o.passivePorts.max,
    // PASV answers this address (a client on loopback gets its own: tests and local probes).
    pasv_url: ((clientIp: string) => {
      const v4 = clientIp.replace(/^::ffff:/i, '');
      return v4.startsWith('127.') ? v4 : o.publicAddress;
    }) as unknown as string,
    greeting: 'Outpost snapshot upload',
    tls: o.tls ? { key: o.tls.key, cert: o.tls.cert } : false,
    anonymous: false,
    // Checked again in `dispatch` below; kept here so that a command reaching ftp-srv's own
    // dispatcher is held to the same list.
    whitelist: [...FTP_ALLOWED_COMMANDS],
    blacklist: ['PORT', 'EPRT', 'RETR', 'DELE', 'RNFR', 'RNTO', 'SITE', 'RMD', 'APPE', 'STOU'],
    // ftp-srv's typings want a function here; 'ls' (its default, /bin/ls lines) is what cameras parse.
    file_format: 'ls' as unknown as (stat: Stats) => string,
    // ftp-srv's timeout is on the control socket alone, so it would cut a long upload (no control
    // traffic meanwhile); idle connections are closed here instead (armIdle, and in `receive`).
    timeout: 0,
    log: ftpSrvLog(log),
  });
  for (const s of signals)
    for (const l of process.listeners(s)) if (!hooked.get(s)!.has(l)) process.removeListener(s, l);

  // The connection limit, with a 421 the camera can log (net.Server's maxConnections would drop
  // the socket without a word). ftp-srv's handler runs only for connections under the limit.
  const tcp = (ftp as unknown as { server: Server }).server;
  const handlers = tcp.listeners('connection') as ((socket: Socket) => void)[];
  tcp.removeAllListeners('connection');
  tcp.on('connection', (socket: Socket) => {
    socket.on('error', () => undefined);
    // Replies are small writes a client waits for: no Nagle delay behind a delayed ACK.
    socket.setNoDelay(true);
    if (closing || stats.connections >= o.maxConnections) {
      stats.connectionsRefused++;
      refused.add(socket);
      socket.once('close', () => refused.delete(socket));
      socket.end('421 Too many connections; try again later\r\n');
      setTimeout(() => socket.destroy(), 2000).unref();
      return;
    }
    stats.connections++;
    socket.once('close', () => stats.connections--);
    for (const h of handlers) h.call(tcp, socket);
  });

  const armIdle = (s: Session): void => {
    clearTimeout(s.idle);
    if (s.gone) return;
    s.idle = setTimeout(() => {
      // An upload watches its own data connection; the control one is quiet meanwhile.
      if (s.upload) return armIdle(s);
      log.info({ remoteAddress: s.remoteAddress, user: s.login?.user }, 'idle FTP connection closed');
      void s.conn.close(421, 'Idle too long; closing the connection');
    }, o.idleTimeoutMs);
    s.idle.unref();
  };

  (ftp as unknown as EventEmitter).on('connect', ({ connection }: { connection: FtpConnection }) => {
    const raw = connection.commandSocket;
    const commands = connection.commands;
    const s: Session = {
      conn: connection,
      original: commands.handle.bind(commands),
      remoteAddress: raw.remoteAddress ?? '',
      chain: Promise.resolve(),
      aborted: false,
      gone: false,
      pending: 0,
    };
    sessions.add(s);
    sessionOf.set(connection, s);
    raw.once('close', () => {
      s.gone = true;
      clearTimeout(s.idle);
      s.upload?.abort();
      sessions.delete(s);
    });
    armIdle(s);
    commands.handle = (message: string | ParsedCommand) => {
      const cmd = typeof message === 'string' ? commands.parse(cleanCommand(message)) : message;
      armIdle(s);
      // ABOR acts at once on an upload under way; its answer (and any other command's) waits
      // its turn. QUIT does not abort: a camera may send it before the last bytes have come in.
      if (s.upload && cmd.directive === 'ABOR') {
        s.aborted = true;
        s.upload.abort();
      }
      // Commands wait their turn behind an upload or a client that does not read its answers:
      // a client that keeps sending meanwhile is cut off before its queue grows without end.
      if (++s.pending > MAX_PENDING_COMMANDS) {
        s.upload?.abort();
        if (s.pending === MAX_PENDING_COMMANDS + 1) {
          log.warn({ remoteAddress: s.remoteAddress, user: s.login?.user }, 'FTP client flooding commands');
          void s.conn.close(421, 'Too many commands at once');
        }
        return s.chain;
      }
      s.chain = s.chain
        .then(() => dispatch(s, cmd))
        .catch((e: unknown) => {
          log.error({ err: e, directive: cmd.directive }, 'FTP command failed');
          return s.conn.reply(451, 'Local error').then(() => undefined);
        })
        .finally(() => {
          s.pending--;
          armIdle(s);
        });
      return s.chain;
    };
  });

  ftp.on('login', ({ connection, username, password }, resolve, reject) => {
    const s = sessionOf.get(connection);
    if (!s) return reject(new Error('Login incorrect'));
    const key = `ftp-login:${clientAddressKey(s.remoteAddress)}`;
    const r = limiter.attempt([{ key, max: o.login.maxFailures }], o.clock.now().getTime());
    if (!isReservation(r)) {
      stats.loginsBlocked++;
      log.warn({ remoteAddress: s.remoteAddress, user: username }, 'FTP login refused: too many failures');
      return reject(new Error('Too many failed logins from this address; try again later'));
    }
    const u = users.get(username);
    if (!u || !samePassword(u.password, password)) {
      stats.loginFailures++;
      log.warn({ remoteAddress: s.remoteAddress, user: username }, 'FTP login failed');
      return reject(new Error('Login incorrect'));
    }
    r.succeeded();
    openArea(areaDir, username)
      .then((root) => {
        let seen = recent.get(username);
        if (!seen) recent.set(username, (seen = new RecentUploads(RECENT_PER_USER)));
        const area = new AreaFs(root, seen);
        s.login = { user: username, camera: u.camera, area };
        log.info({ remoteAddress: s.remoteAddress, user: username, camera: u.camera }, 'FTP login');
        resolve({ fs: area as unknown as FileSystem });
      })
      .catch((e: unknown) => {
        log.error({ err: e, user: username }, 'cannot open the upload area');
        reject(new Error('Upload area unavailable'));
      });
  });

  const reply = (s: Session, code: number, message: string): Promise<void> =>
    Promise.resolve(s.conn.reply(code, oneLine(message))).then(() => undefined);

  const dispatch = async (s: Session, cmd: ParsedCommand): Promise<void> => {
    const d = cmd.directive;
    if (!ALLOWED.has(d)) {
      const why = d === 'PORT' || d === 'EPRT' ? 'no active mode: use passive (PASV or EPSV)' : 'upload only';
      return reply(s, 502, `${d.slice(0, 16)} not allowed here (${why})`);
    }
    if (d === 'FEAT') {
      const feats = ['UTF8', 'SIZE', 'PASV', 'EPSV', ...(o.tls ? ['AUTH TLS', 'PBSZ', 'PROT'] : [])];
      await s.conn.reply(211, 'Features:', ...feats.map((f) => ({ raw: true, message: ` ${f}` })), 'End');
      return;
    }
    if (d === 'ABOR') {
      const was = s.aborted;
      s.aborted = false;
      s.conn.connector.end();
      return was ? reply(s, 226, 'Abort successful') : reply(s, 225, 'No transfer to abort');
    }
    if (d === 'AUTH') return startTls(s, cmd.arg);
    // ftp-srv's PASV/EPSV put a new passive listener in place without closing the one before
    // (nor its data connection, if the client made one): both would stay open for good.
    if (d === 'PASV' || d === 'EPSV') s.conn.connector.end();
    if (d === 'STOR') {
      if (!s.login) return reply(s, 530, 'Log in first');
      const run = stor(s, s.login, cmd.arg);
      inflight.add(run);
      return run.finally(() => inflight.delete(run));
    }
    await s.original(cmd);
  };

  // AUTH TLS is done here: ftp-srv 4.6.3 wraps the control socket while the plain socket still
  // reads, so on Node 20 the client's TLS hello is taken for a command (and answered in clear).
  const secureContext = o.tls ? createSecureContext({ key: o.tls.key, cert: o.tls.cert }) : undefined;
  const startTls = async (s: Session, arg: string | null): Promise<void> => {
    if (!secureContext) return reply(s, 502, 'TLS is not offered here');
    if (!/^TLS(-C)?$/i.test(arg ?? '')) return reply(s, 504, 'Only AUTH TLS is offered');
    if (s.conn.secure) return reply(s, 503, 'Already on TLS');
    const raw = s.conn.commandSocket;
    // The plain socket stops reading before the 234 goes out: the next bytes are the client's
    // TLS hello, and the TLS socket reads them from the same handle.
    const readers = raw.listeners('data') as ((d: Buffer) => void)[];
    raw.removeAllListeners('data');
    raw.pause();
    raw.write('234 AUTH TLS OK, negotiate TLS now\r\n');
    const secure = new TLSSocket(raw, { isServer: true, secureContext });
    for (const r of readers) secure.on('data', r);
    secure.on('error', (e) => {
      log.debug({ err: e, remoteAddress: s.remoteAddress }, 'FTP TLS failed');
      secure.destroy();
      raw.destroy();
    });
    s.conn.commandSocket = secure;
    s.conn.secure = true;
  };

  const stor = async (
    s: Session,
    login: NonNullable<Session['login']>,
    arg: string | null,
  ): Promise<void> => {
    let path: string;
    try {
      path = await login.area.storeTarget(arg);
    } catch (e) {
      s.conn.connector.end();
      return reply(s, 553, e instanceof Error && e.name === 'AreaError' ? e.message : 'Not allowed');
    }
    const tmpDir = tmpDirNow();
    if (tmpDir === undefined) {
      // Nowhere to keep it: refused before any byte comes (the camera sends its next one).
      stats.rejected['no-drive']++;
      o.onReject?.({ camera: login.camera, reason: 'no-drive', message: 'no library drive attached' });
      s.conn.connector.end();
      return reply(s, 451, 'No storage attached now: try again later');
    }
    let data: Socket;
    try {
      data = await s.conn.connector.waitForConnection();
    } catch {
      s.conn.connector.end();
      return reply(s, 425, 'Open a passive data connection first (PASV or EPSV)');
    }
    const file = join(tmpDir, `ftp-${randomBytes(12).toString('hex')}.part`);
    const ctx = {
      user: login.user,
      camera: login.camera,
      path: path.slice(1),
      remoteAddress: s.remoteAddress,
    };
    let answer: [number, string];
    try {
      const got = await receive(s, data, file);
      s.conn.connector.end();
      if ('fail' in got) {
        stats.rejected[got.fail]++;
        o.onReject?.({ camera: login.camera, reason: got.fail, message: got.message });
        log.warn({ ...ctx, reason: got.fail, bytes: got.bytes }, 'FTP upload rejected');
        answer = [got.code, got.message];
      } else {
        const upload: FtpUpload = { ...ctx, file, ...got, receivedAt: o.clock.now() };
        try {
          await o.accept(upload);
          stats.uploadsAccepted++;
          recent.get(login.user)?.add(path, upload.bytes, upload.receivedAt);
          log.info({ ...ctx, bytes: upload.bytes }, 'FTP upload accepted');
          answer = [226, 'Transfer complete'];
        } catch (e) {
          stats.rejected['refused-by-accept']++;
          log.warn({ ...ctx, err: e }, 'FTP upload refused');
          answer = [refusalCode(e), e instanceof Error ? e.message : String(e)];
        }
      }
    } finally {
      s.upload = undefined;
      // accept owns the file once it resolved: it is gone by now, unless accept left it.
      await rm(file, { force: true });
    }
    return reply(s, ...answer);
  };

  /** The bytes of one STOR into `file`: hashed, counted, cut off when too many, idle or aborted. */
  const receive = async (
    s: Session,
    data: Socket,
    file: string,
  ): Promise<
    | { bytes: number; sha256: string }
    | { fail: FtpRejectReason; code: number; message: string; bytes: number }
  > => {
    let failure: { fail: FtpRejectReason; code: number; message: string } | undefined;
    const fail = (f: FtpRejectReason, code: number, message: string): void => {
      failure ??= { fail: f, code, message };
      data.destroy();
    };
    let idle: NodeJS.Timeout | undefined;
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(
        () => fail('aborted', 426, `Data connection idle for ${o.idleTimeoutMs} ms; transfer aborted`),
        o.idleTimeoutMs,
      );
    };
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        touch();
        if (bytes > o.maxFileBytes) {
          failure ??= {
            fail: 'too-big',
            code: 552,
            message: `File too big: at most ${o.maxFileBytes} bytes`,
          };
          return done(new Error('too big'));
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // Opened here, before the 150: the file exists before any bytes come, so an early failure
    // cannot race its creation and leave it behind.
    let handle: FileHandle;
    try {
      handle = await open(file, 'wx', 0o600);
    } catch (e) {
      data.destroy();
      return { fail: 'write-failed', ...localFailure(e), bytes: 0 };
    }
    const sink = handle.createWriteStream();
    sink.once('error', (e) => (failure ??= { fail: 'write-failed', ...localFailure(e) }));
    let transferring = true;
    s.upload = {
      abort: () => {
        if (transferring) fail('aborted', 426, 'Transfer aborted');
      },
    };
    if (s.gone) s.upload.abort();
    touch();
    await reply(s, 150, 'Ok to send data');
    try {
      await pipeline(data, meter, sink);
    } catch {
      // The data connection reset or closed without its end (the client went away), or was cut
      // off above (too big, idle, ABOR), or the file could not be written (the sink's error).
      failure ??= { fail: 'aborted', code: 426, message: 'Connection closed; transfer aborted' };
    } finally {
      transferring = false;
      clearTimeout(idle);
      if (!sink.closed) await new Promise<void>((r) => sink.once('close', () => r()));
      await handle.close().catch(() => undefined);
    }
    // A client killed mid-upload has both its connections closed (even reset: Linux then often
    // reads the reset data connection as a clean end), and the data one may end first and look
    // complete. The control connection gone too, a moment later, means the client did not wait
    // for its 226 (as FTP wants it to): the bytes are not taken.
    if (!failure) await new Promise((r) => setTimeout(r, CONTROL_GRACE_MS));
    if (!failure && s.gone) failure = { fail: 'aborted', code: 426, message: 'Connection closed' };
    if (!failure && bytes === 0) failure = { fail: 'empty', code: 550, message: 'Empty file refused' };
    if (failure) return { ...failure, bytes };
    return { bytes, sha256: hash.digest('hex') };
  };

  try {
    await ftp.listen();
  } catch (e) {
    await Promise.resolve(ftp.close()).catch(() => undefined);
    throw new OutpostError(
      'FTP_LISTEN_FAILED',
      `snapshot FTP server cannot listen on ${o.host}:${o.port}: ${errnoCode(e) ?? String(e)}`,
      { cause: e },
    );
  }
  const port = (tcp.address() as AddressInfo).port;
  log.info(
    { host: o.host, port, passive: o.passivePorts, tls: Boolean(o.tls) },
    'snapshot FTP server listening',
  );

  return {
    port,
    stats: () => ({ ...stats, rejected: { ...stats.rejected } }),
    async close() {
      if (closing) return;
      closing = true;
      for (const socket of refused) socket.destroy();
      for (const s of sessions) {
        s.upload?.abort();
        s.conn.connector.end();
      }
      await Promise.resolve(ftp.close());
      await Promise.allSettled([...inflight]);
      for (const s of sessions) clearTimeout(s.idle);
    },
  };
}

/** The users by login, once the options are known to be usable. */
function checkOptions(o: SnapshotFtpOptions): Map<string, { password: string; camera: string }> {
  const problems: string[] = [];
  const users = new Map<string, { password: string; camera: string }>();
  for (const u of o.users) {
    // The login names a folder (<areaDir>/<user>): nothing that could climb out of areaDir.
    if (!USER_NAME.test(u.user) || u.user === '.' || u.user === '..')
      problems.push(`user "${u.user}": use letters, digits, dot, dash and underscore (at most 64)`);
    else if (users.has(u.user)) problems.push(`user "${u.user}" is listed twice`);
    if (u.password.length === 0) problems.push(`user "${u.user}" has no password`);
    users.set(u.user, { password: u.password, camera: u.camera });
  }
  if (!isIPv4(o.publicAddress))
    problems.push(`publicAddress must be an IPv4 address (PASV), not "${o.publicAddress}"`);
  const { min, max } = o.passivePorts;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1024 || max > 65535 || min > max)
    problems.push('passivePorts: min and max between 1024 and 65535, min ≤ max');
  if (!(o.maxFileBytes > 0)) problems.push('maxFileBytes must be above 0');
  if (!(o.maxConnections >= 1)) problems.push('maxConnections must be at least 1');
  if (!(o.idleTimeoutMs > 0)) problems.push('idleTimeoutMs must be above 0');
  if (!(o.login.maxFailures >= 1) || !(o.login.windowMs > 0))
    problems.push('login: maxFailures at least 1 and windowMs above 0');
  if (problems.length)
    throw new OutpostError('CONFIG_INVALID', `snapshot FTP settings: ${problems.join('; ')}`, {
      details: { problems },
    });
  return users;
}

/** Temporary files a previous run left (stopped mid-upload): nothing will ever finish them. */
async function mkdirP(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Remove what a killed server left in `tmpDir` (`ftp-*.part`). */
export async function removeStaleParts(tmpDir: string, log: Logger): Promise<void> {
  const stale = (await readdir(tmpDir)).filter((n) => /^ftp-.*\.part$/.test(n));
  for (const n of stale) await rm(join(tmpDir, n), { force: true });
  if (stale.length) log.info({ count: stale.length }, 'stale FTP upload files removed');
}

/** `<areaDir>/<user>`, made when missing; a link there (not made by us) is refused. */
async function openArea(areaDir: string, user: string): Promise<string> {
  const root = join(areaDir, user);
  await mkdir(root, { recursive: true, mode: 0o750 });
  const st = await lstat(root);
  if (!st.isDirectory()) throw new Error(`${root} is not a folder`);
  return root;
}

/** Compared in constant time (digests of equal length), so the time taken says nothing. */
function samePassword(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * A command line as sent, less what comes before its verb: clients send ABOR after Telnet's
 * "interrupt process" and "synch" bytes (IAC IP IAC DM), which ftp-srv would take for the verb.
 */
function cleanCommand(line: string): string {
  return line.replace(/^[^A-Za-z]+/, '');
}

/** A message fit for one reply line. */
function oneLine(message: string): string {
  return message.replace(/[\r\n]+/g, ' ').slice(0, 300);
}

/**
 * accept's refusal → reply: 550 (permanent: do not send it again) for an Outpost error that
 * says the upload itself is wrong, 451 (try again later) for anything else (drive full or
 * failing, clock not set, a bug).
 */
function refusalCode(e: unknown): number {
  if (!isOutpostError(e)) return 451;
  return e.status >= 400 && e.status < 500 && ![408, 409, 429].includes(e.status) ? 550 : 451;
}

/** A write to the temporary file failed. */
function localFailure(e: unknown): { code: number; message: string } {
  const code = errnoCode(e);
  return code === 'ENOSPC' || code === 'EDQUOT'
    ? { code: 452, message: 'Insufficient storage space' }
    : { code: 451, message: 'Local error writing the file' };
}

/**
 * ftp-srv logs as bunyan does, and calls a client's every mistake an error: its messages go to
 * this server's log at debug level; what matters is logged here, with its real level.
 */
interface BunyanLike {
  child(bindings: Record<string, unknown>): BunyanLike;
  trace(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  fatal(...args: unknown[]): void;
}
function ftpSrvLog(log: Logger): BunyanLike {
  const debug = (...args: unknown[]): void => (log.debug as (...a: unknown[]) => void).apply(log, args);
  return {
    child: (bindings) => ftpSrvLog(log.child(bindings)),
    trace: debug,
    debug,
    info: debug,
    warn: debug,
    error: debug,
    fatal: debug,
  };
}
