/**
 * Typed error codes: one catalogue, each with a message for humans, what to do next,
 * a CLI exit code and an HTTP status. Every user-facing failure goes through here; the edges
 * map them (server/errors.ts to a status and a JSON body, cli/output.ts to an exit code), and
 * {@link toOutpostError} turns anything else thrown into one. Warnings (a run goes on) have their
 * own codes and hints in core/warnings.ts; docs/errors.md lists both.
 */
export const ERROR_CATALOGUE = {
  CONFIG_INVALID: { status: 400, exit: 2, hint: 'Fix the listed keys in the config file and start again.' },
  USAGE: { status: 400, exit: 2, hint: 'Run the command with --help to see its options.' },
  INVALID_INPUT: { status: 400, exit: 2, hint: 'Correct the listed fields and try again.' },
  NOT_A_LIBRARY: {
    status: 400,
    exit: 2,
    hint: 'Point --library at a drive made with `outpost init-drive <dir>`.',
  },
  LIBRARY_EXISTS: { status: 409, exit: 2, hint: 'This directory is already a library drive; nothing to do.' },
  LIBRARY_LOCKED: {
    status: 409,
    exit: 4,
    hint: 'Another outpost process is working on this library; wait for it or stop it.',
  },
  LIBRARY_VERSION: { status: 500, exit: 2, hint: 'Upgrade Outpost to read this drive.' },
  CATALOG_ENGINE: {
    status: 500,
    exit: 2,
    hint: 'This works on a library drive (SQLite catalogue) only; run it on the station, not on an HQ using PostgreSQL.',
  },
  CATALOG_UNREACHABLE: {
    status: 503,
    exit: 3,
    hint: 'Check that PostgreSQL is running and that hq.database (host, port, user, password, database) is right.',
  },
  CARD_NOT_FOUND: { status: 404, exit: 2, hint: 'Check the card path; is the card mounted?' },
  CARD_REMOVED: {
    status: 409,
    exit: 3,
    hint: 'The card went away during ingest. Everything copied so far is safe; insert the card again to resume.',
  },
  CARD_READ_ERROR: {
    status: 500,
    exit: 3,
    hint: 'The card could not be read; try another card reader, or copy the card with ddrescue.',
  },
  DRIVE_FULL: {
    status: 507,
    exit: 3,
    hint: 'Free space on the library drive (or plug in a bigger one) and run ingest again; it resumes.',
  },
  DRIVE_WRITE_ERROR: {
    status: 500,
    exit: 3,
    hint: 'The library drive failed a write; check its cable and health (dmesg), then run ingest again.',
  },
  CONTENT_MISMATCH: {
    status: 500,
    exit: 3,
    hint: 'The bytes read do not have the SHA-256 the item is known by (the source changed or is damaged); nothing was stored. Check the source, then run again.',
  },
  PLACE_CONFLICT: {
    status: 409,
    exit: 1,
    hint: 'Run `outpost fsck --hash` on the library: a file there does not match its name.',
  },
  ITEM_NOT_FOUND: { status: 404, exit: 2, hint: 'Check the id with `outpost ls`.' },
  AMBIGUOUS_ID: { status: 400, exit: 2, hint: 'Give more characters of the id.' },
  CARD_ASSIGNED_ELSEWHERE: {
    status: 409,
    exit: 2,
    hint: 'Reassign the card with `outpost cards assign <card> <monitor>` (or `outpost ingest --reassign`), or ingest without --monitor.',
  },
  MONITOR_INVALID: {
    status: 400,
    exit: 2,
    hint: 'Monitor names may use letters, digits, space, dot, dash and underscore.',
  },
  TOOL_MISSING: { status: 500, exit: 2, hint: 'Install it (e.g. `apt-get install ffmpeg`) and try again.' },
  FSCK_PROBLEMS: { status: 500, exit: 1, hint: 'See each problem for what to do.' },
  DRIVE_NOT_EMPTY: {
    status: 409,
    exit: 2,
    hint: 'Only an empty drive is made a library drive here; copy its files off first, or use `outpost init-drive`.',
  },
  STATION_NOT_RUNNING: {
    status: 503,
    exit: 1,
    hint: 'Start the station with `outpost station`.',
  },
  DEVICE_BUSY: {
    status: 409,
    exit: 4,
    hint: 'It is not safe to remove yet: close the program named (or `cd` out of the folder) and eject again.',
  },
  NO_SUCH_DEVICE: {
    status: 404,
    exit: 2,
    hint: 'Nothing the station mounted is in that slot; `outpost status` shows what it holds.',
  },
  SYSTEMD_NOT_RUNNING: {
    status: 503,
    exit: 1,
    hint: 'This machine was not booted with systemd (a container or chroot?): there is no outpost service. Run the station by hand (`outpost station`); its log is its output.',
  },
  DEVICES_NOT_MANAGED: {
    status: 409,
    exit: 2,
    hint: 'The station does not mount devices itself here (station.devices.manage: false, or neither root nor CAP_SYS_ADMIN): unmount it the way it was mounted.',
  },
  MOUNT_FAILED: {
    status: 500,
    exit: 3,
    hint: 'The file system could not be mounted; check the device in another computer (it may need a repair) and plug it in again.',
  },
  UPLINK_OFFLINE: {
    status: 503,
    exit: 3,
    hint: 'HQ could not be reached; nothing is lost. Check the internet link and run again (the station retries by itself).',
  },
  UPLINK_REFUSED: {
    status: 401,
    exit: 2,
    hint: 'HQ refuses this station key: check uplink.hq.key, or ask HQ for a new one (`outpost hq keys add <station>`).',
  },
  CHECKSUM_MISMATCH: {
    status: 460,
    exit: 3,
    hint: 'The bytes HQ received do not have the announced SHA-256: the upload was deleted; start it again.',
  },
  STATION_KEY_EXISTS: {
    status: 409,
    exit: 2,
    hint: 'Revoke the old key first (`outpost hq keys revoke <station>`), then add a new one.',
  },
  STATION_NOT_FOUND: { status: 404, exit: 2, hint: 'See `outpost hq keys list`.' },
  OBJECT_NOT_FOUND: { status: 404, exit: 2, hint: 'HQ does not hold these bytes (yet).' },
  SESSION_NOT_FOUND: {
    status: 404,
    exit: 2,
    hint: 'See `outpost fleet sessions` for the sessions kept here.',
  },
  FLEET_BROKER_UNREACHABLE: {
    status: 503,
    exit: 3,
    hint: 'Check broker.url in the fleet config (mqtt://host:port), that the broker runs (`outpost station` has one on port 1883), its username/password, and for mqtts:// the CA file (broker.ca) of the CA that signed its certificate.',
  },
  FLEET_CONFIG_REFUSED: {
    status: 409,
    exit: 3,
    hint: 'A station refused the settings for a camera (it has no such camera, or the settings cannot be used): see each refusal, fix the fleet config, and push again.',
  },
  FLEET_NOT_STARTED: {
    status: 409,
    exit: 3,
    hint: 'No station accepted: see each refusal and silent station above, fix them, and start again.',
  },
  STORE_UNREACHABLE: {
    status: 503,
    exit: 3,
    hint: 'The object store (S3 or Azure) cannot be reached: check its endpoint in the config and the network. Nothing is lost; it is tried again.',
  },
  STORE_CREDENTIALS: {
    status: 503,
    exit: 2,
    hint: 'The object store refuses the credentials: check the access key and secret (S3), or the connection string or SAS token (Azure).',
  },
  STORE_BUCKET_MISSING: {
    status: 503,
    exit: 2,
    hint: 'Create the bucket (S3) or container (Azure), or correct its name in the config.',
  },
  STORE_CLOCK_SKEW: {
    status: 503,
    exit: 2,
    hint: "The object store refuses this machine's time (signed requests allow about 15 minutes): set the clock right, then try again.",
  },
  STORE_FULL: {
    status: 507,
    exit: 3,
    hint: 'The object store is over its quota: free space there or raise the quota. Nothing is lost; it is tried again.',
  },
  STORE_UPLOAD_GONE: {
    status: 410,
    exit: 3,
    hint: 'The object store no longer knows this unfinished upload (aborted, or expired by a lifecycle rule): it is started again from the first byte.',
  },
  STORE_FAILED: {
    status: 502,
    exit: 3,
    hint: 'The object store answered with an error (see the message); it is tried again. If it persists, check the store.',
  },
  MIRROR_SAME_DRIVE: {
    status: 400,
    exit: 2,
    hint: 'Give two different library drives (the second one plugged in, or its mount point).',
  },
  MIRROR_DELETE_GUARD: {
    status: 409,
    exit: 5,
    hint: 'Check the deletions on the other drive; if they are meant, run the mirror again with --force (or raise mirror.maxDeleteShare).',
  },
  RECORDER_SOURCE: {
    status: 400,
    exit: 2,
    hint: 'Fix the camera source: testsrc:, file:/abs/path.mp4, rtsp://…, http(s)://…, v4l2:/dev/video0 or rpicam: (docs/recorder.md).',
  },
  RECORDER_FAILED: {
    status: 500,
    exit: 3,
    hint: 'The camera pipeline keeps failing: check the camera (cable, network, `ffmpeg -i <source>`) and the log for the last words of ffmpeg.',
  },
  SEGMENT_INVALID: {
    status: 422,
    exit: 1,
    hint: 'The recorded segment has no playable video (camera sent nothing); it is kept out of the library.',
  },
  SNAPSHOT_INVALID: {
    status: 422,
    exit: 1,
    hint: 'The camera sent something that is not a whole JPEG (empty, cut short or damaged); it is not kept. Check the camera’s snapshot settings; it sends the next one as usual.',
  },
  SNAPSHOT_NO_DRIVE: {
    status: 503,
    exit: 3,
    hint: 'Snapshots are kept on the library drive: plug one in. The camera sends again at its next snapshot.',
  },
  RECORDING_FAILED: {
    status: 500,
    exit: 3,
    hint: 'A motion event could not be saved (assembling the clip from the RAM ring, or its thumbnail, failed): check that the ring directory (recorder.ringDir, a tmpfs) and the library drive have room, and the log for the last words of ffmpeg.',
  },
  SCRUB_DAMAGE: {
    status: 500,
    exit: 1,
    hint: 'Plug in the second drive and run `outpost scrub <drive> --partner <other> --repair`; files damaged on both drives must come from HQ or a backup.',
  },
  OP_INVALID: {
    status: 400,
    exit: 2,
    hint: 'The op was not merged: its field or value is not one an edit through the API could record.',
  },
  OP_CLOCK_AHEAD: {
    status: 409,
    exit: 2,
    hint: "The sender's clock is ahead: set it right (timedatectl / NTP). The op is sent again once its time has come.",
  },
  OP_FORBIDDEN: {
    status: 403,
    exit: 2,
    hint: "Only the station that owns an item (or HQ's editors) may move or delete it; a station writes ops about its own items only.",
  },
  UNSAFE_PATH: {
    status: 400,
    exit: 1,
    hint: 'A path in the catalogue leads outside library/: nothing was moved. Run `outpost fsck` and report it.',
  },
  CLOCK_SUSPECT: {
    status: 409,
    exit: 3,
    hint: "The station's clock looks wrong, so nothing is filed under a wrong date: set it from a tablet (web app, Status page), `sudo date -s`, or connect the station to the internet (NTP). Cards wait and are copied once it is right.",
  },
  CLOCK_REFUSED: {
    status: 409,
    exit: 2,
    hint: "Check the tablet's clock (date, time and time zone) and try again.",
  },
  CLOCK_SET_FAILED: {
    status: 500,
    exit: 3,
    hint: 'The station may not set its clock: give the service CAP_SYS_TIME (AmbientCapabilities=CAP_SYS_TIME) or run `sudo date -s @<seconds>` on it.',
  },
  SYSTEM_COMMAND_FAILED: {
    status: 500,
    exit: 3,
    hint: 'A system command failed; its last words are in the message. Check the log (`journalctl -u outpost`).',
  },
  // What the HTTP API refuses (the CLI meets them when it talks to a station or HQ).
  UNAUTHENTICATED: { status: 401, exit: 2, hint: 'Log in and try again.' },
  FORBIDDEN: {
    status: 403,
    exit: 2,
    hint: 'Ask an editor to make this change, or to give you the editor role.',
  },
  ROUTE_NOT_FOUND: { status: 404, exit: 2, hint: 'See /api/docs for the routes this server offers.' },
  RENDITION_NOT_FOUND: {
    status: 404,
    exit: 2,
    hint: 'This item has no such derivative (audio has none, undecodable files may have none); use /original.',
  },
  FILE_MISSING: {
    status: 404,
    exit: 1,
    hint: 'The catalogue lists a file the drive does not have: run `outpost fsck` on the library.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    exit: 2,
    hint: 'Send a smaller body (at most 1 MiB); split big batches.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    exit: 2,
    hint: 'Send JSON with `Content-Type: application/json`.',
  },
  EXPORT_EXPIRED: {
    status: 410,
    exit: 2,
    hint: 'Download links of a zip export last 15 minutes and end when the station restarts: export the selection again.',
  },
  RANGE_NOT_SATISFIABLE: {
    status: 416,
    exit: 2,
    hint: 'Ask for bytes inside the file; its size is in the Content-Range header.',
  },
  RATE_LIMITED: { status: 429, exit: 3, hint: 'Wait a little and try again.' },
  REQUEST_TIMEOUT: {
    status: 408,
    exit: 3,
    hint: 'Send the request body without pausing (a stalled or very slow connection is cut off); try again.',
  },
  TOO_MANY_STREAMS: {
    status: 429,
    exit: 3,
    hint: 'Close the live view or the Outpost tab on another screen, or ask for server.limits in the config to be raised.',
  },
  CAMERA_NOT_FOUND: { status: 404, exit: 2, hint: 'GET /api/cameras lists the cameras of this station.' },
  MAP_TILES_INVALID: {
    status: 400,
    exit: 2,
    hint: 'Give a raster MBTiles file (PNG, JPEG or WebP tiles), e.g. from QGIS "Generate XYZ tiles (MBTiles)"; export it again if it is damaged.',
  },
  MAP_TILE_NOT_FOUND: {
    status: 404,
    exit: 2,
    hint: 'The station holds no tile there: outside the imported area or zoom range (GET /api/map/info), or no tiles imported (`outpost map import`).',
  },
  CONFLICT_NOT_FOUND: {
    status: 404,
    exit: 2,
    hint: 'Reload the conflicts list (GET /api/sync/conflicts): the id is wrong.',
  },
  CONFLICT_STALE: {
    status: 409,
    exit: 1,
    hint: 'The field was changed again since the conflict: reload the item and edit it if needed.',
  },
  LIVE_TOO_MANY_CLIENTS: {
    status: 503,
    exit: 3,
    hint: 'Close the live view on another screen, or raise live.maxClients of this camera in the station config.',
  },
  LIVE_NO_FRAME: {
    status: 503,
    exit: 3,
    hint: 'The camera has sent no picture yet (starting, or down): see its state in GET /api/cameras and try again.',
  },
  CSRF_REJECTED: {
    status: 403,
    exit: 2,
    hint: 'Send changes from the Outpost web app (it adds the X-Outpost-CSRF: 1 header), not from another site.',
  },
  SETUP_CODE_WRONG: {
    status: 403,
    exit: 2,
    hint: 'Type the setup code the station printed when it started (`journalctl -u outpost`, or its console), or create a user with `outpost user add` on the station.',
  },
  HOST_NOT_ALLOWED: {
    status: 403,
    exit: 2,
    hint: "Open the web app by the machine's IP address or host name, or add the name you use to server.allowedHosts in the config.",
  },
  SETUP_DONE: {
    status: 409,
    exit: 2,
    hint: 'This library already has users: log in, or ask an editor for an account.',
  },
  INTERNAL: { status: 500, exit: 1, hint: 'This is a bug; please report it with the log.' },
  TIMELAPSE_EMPTY: {
    status: 404,
    exit: 2,
    hint: 'The camera sent no snapshots that day (in its time zone): check that it uploads to the station and that its time zone is right.',
  },
  TIMELAPSE_FAILED: {
    status: 500,
    exit: 3,
    hint: 'ffmpeg could not make the timelapse (see the message); check that the snapshots of that day are readable JPEGs and that the drive has space, then make it again.',
  },
  FTP_LISTEN_FAILED: {
    status: 500,
    exit: 3,
    hint: "Another program holds the snapshot FTP port, or the FTP host address is not one of this machine's: stop that program or change the FTP port or host in the config, then start again.",
  },
  VIDEO_NO_FOOTAGE: {
    status: 404,
    exit: 2,
    hint: 'The camera recorded nothing in that range: check the camera name and the times (a bare time is in the station’s zone), or see its recordings with `outpost ls --monitor <name> --type video`.',
  },
  VIDEO_MISMATCH: {
    status: 409,
    exit: 2,
    hint: 'The recordings in the range differ (size, codec or sound) where the message says: export the parts before and after that time separately.',
  },
  VIDEO_UNREADABLE: {
    status: 422,
    exit: 2,
    hint: 'ffprobe cannot read the video (see the message): the file is damaged or not a video. Run `outpost fsck` on the drive.',
  },
  VIDEO_EXPORT_NOT_FOUND: {
    status: 404,
    exit: 2,
    hint: 'No such export is queued or running: it may have finished already (see the list of exports).',
  },
  VIDEO_CANCELLED: {
    status: 409,
    exit: 5,
    hint: 'The video was cancelled before it was finished; nothing of it was kept. Start it again when you want it.',
  },
  VIDEO_EXPORT_FAILED: {
    status: 500,
    exit: 3,
    hint: 'ffmpeg failed while making the video (see the message); check that the drive has space, then try again. Nothing half-made was kept.',
  },
} as const satisfies Record<string, { status: number; exit: number; hint: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class OutpostError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly details: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'OutpostError';
    this.code = code;
    this.hint = opts.hint ?? ERROR_CATALOGUE[code].hint;
    this.details = opts.details;
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  get exitCode(): number {
    return ERROR_CATALOGUE[this.code].exit;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string; details?: unknown } {
    return {
      code: this.code,
      message: this.message,
      hint: this.hint,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isOutpostError(e: unknown): e is OutpostError {
  return e instanceof OutpostError;
}

/** The errno code of a Node system error, if any. */
export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string'
    ? e.code
    : undefined;
}

/** Map a write-side failure (file system or the catalogue's SQLite) to a typed error. */
export function driveError(e: unknown, path: string): OutpostError {
  if (e instanceof OutpostError) return e;
  const code = errnoCode(e);
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL')
    return new OutpostError('DRIVE_FULL', `library drive is full (writing ${path})`, { cause: e });
  return new OutpostError('DRIVE_WRITE_ERROR', `cannot write ${path}: ${code ?? String(e)}`, { cause: e });
}

/**
 * Anything thrown → an OutpostError with a code: an OutpostError as it is, a storage failure of
 * the library drive (ENOSPC, EIO, EROFS, SQLite's full/read-only/I/O errors) as DRIVE_FULL or
 * DRIVE_WRITE_ERROR, a missing program (spawn ENOENT) as TOOL_MISSING, anything else INTERNAL
 * (a bug: the original is its `cause`, for the log).
 */
export function toOutpostError(e: unknown): OutpostError {
  if (e instanceof OutpostError) return e;
  const drive = asDriveFailure(e);
  if (drive) return drive;
  const code = errnoCode(e);
  if (code === 'ENOENT' && typeof e === 'object' && e !== null && 'spawnargs' in e) {
    const path = 'path' in e && typeof e.path === 'string' ? e.path : 'a program';
    return new OutpostError('TOOL_MISSING', `${path} is not installed`, { cause: e });
  }
  return new OutpostError('INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
}

/** Storage failures of the library drive that stop a run cleanly (anything else is a bug). */
export function asDriveFailure(e: unknown): OutpostError | undefined {
  if (e instanceof OutpostError)
    return e.code === 'DRIVE_FULL' || e.code === 'DRIVE_WRITE_ERROR' ? e : undefined;
  const code = errnoCode(e);
  if (!code) return undefined;
  if (
    ['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'SQLITE_FULL', 'SQLITE_READONLY'].includes(code) ||
    code.startsWith('SQLITE_IOERR')
  )
    return driveError(e, 'the library drive');
  return undefined;
}
