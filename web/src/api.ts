import type {
  AttributePatch,
  Camera,
  CameraApplied,
  CameraPatch,
  Card,
  FleetConfigEntry,
  FleetOverview,
  SnapshotDayView,
  SnapshotsOverview,
  VideoExportJob,
  FleetStartReport,
  SessionManifest,
  CardAssignment,
  Item,
  ItemPage,
  MotionEvent,
  Status,
} from './types';
import { language } from './i18n';
import { problemsText } from './problems';

/** An API error body `{ error: { code, message, hint } }`, or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint = '',
    /** The error body's `details` (e.g. CLOCK_REFUSED: `{ reason, overrulable }`). */
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type AuthListener = () => void;
const authListeners = new Set<AuthListener>();

/** Called whenever any request answers 401: the app shows the login form. */
export function onUnauthenticated(fn: AuthListener): () => void {
  authListeners.add(fn);
  return () => authListeners.delete(fn);
}

/**
 * fetch() for the API: same-origin cookies, the CSRF header on every mutation, JSON in and out,
 * errors as {@link ApiError}.
 */
export async function api<T>(
  method: string,
  url: string,
  body?: unknown,
  opts: { signal?: AbortSignal } = {},
): Promise<T> {
  // The station answers with hints in the app's language (core/hints-es.ts).
  const headers: Record<string, string> = { accept: 'application/json', 'accept-language': language() };
  if (method !== 'GET' && method !== 'HEAD') headers['x-outpost-csrf'] = '1';
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', 'The station cannot be reached.', String(e));
  }
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    if (res.status === 401 && !url.startsWith('/api/auth/')) for (const fn of authListeners) fn();
    const err = (
      json as { error?: { code?: string; message?: string; hint?: string; details?: unknown } } | undefined
    )?.error;
    throw new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      // A refused request names each bad field in plain words (issue 13 §1.16).
      (err?.code === 'INVALID_INPUT' ? problemsText(err.details) : undefined) ??
        err?.message ??
        res.statusText,
      err?.hint,
      err?.details,
    );
  }
  return json as T;
}

export const listItems = (query: URLSearchParams): Promise<ItemPage> => api('GET', `/api/items?${query}`);
export const getItem = (id: string): Promise<Item> => api('GET', `/api/items/${id}`);
export const patchItem = (id: string, patch: AttributePatch): Promise<Item> =>
  api('PATCH', `/api/items/${id}`, patch);
/** Extra choices of a batch: add/remove one tag, overwrite the files' own GPS positions. */
export interface BatchOptions {
  addTags?: string[];
  removeTags?: string[];
  overwriteGps?: boolean;
}
export interface BatchResult {
  updated: number;
  skippedOwnGps: number;
  items: { id: string; attributes: Item['attributes']; before: Item['attributes'] }[];
}
export const batchPatch = (
  ids: string[],
  patch: AttributePatch,
  opts: BatchOptions = {},
): Promise<BatchResult> => api('POST', '/api/items/batch', { ids, patch, ...opts });
export interface DeleteResult {
  items: number;
  onlyCopyCount: number;
  filesRemoved: number;
  keptOnlyCopy: number;
  notRejected: string[];
  dryRun: boolean;
}
/** Delete rejected items (docs/reject-delete.md); `dryRun` only says what would happen. */
export const deleteRejected = (
  ids: string[],
  opts: { dryRun?: boolean; confirmOnlyCopy?: boolean } = {},
): Promise<DeleteResult> => api('POST', '/api/items/delete', { ids, ...opts });
export interface ShiftResult {
  byMs: number;
  items: number;
  moving: number;
  undated: number;
  example: { id: string; before: string; after: string } | null;
  failed: { id: string; message: string }[];
  dryRun: boolean;
}
/** Fix a wrong camera clock: move the capture times of `ids` (by text, ms or an anchor). */
export const shiftTimes = (body: {
  ids?: string[];
  card?: string;
  by?: string;
  byMs?: number;
  anchor?: { id: string; trueTime: string };
  dryRun?: boolean;
}): Promise<ShiftResult> => api('POST', '/api/items/shift-time', body);
/** One field of one item an edit changed: `set` by the edit, `previous` before it. */
export interface UndoChange {
  id: string;
  field: keyof Item['attributes'];
  set: unknown;
  previous: unknown;
}
export const undoChanges = (
  changes: UndoChange[],
): Promise<{
  restored: number;
  skipped: { id: string; field: string; reason: string }[];
  items: { id: string; attributes: Item['attributes'] }[];
}> => api('POST', '/api/items/undo', { changes });
export const listTags = (prefix: string): Promise<{ tags: { tag: string; items: number }[] }> =>
  api('GET', `/api/tags?prefix=${encodeURIComponent(prefix)}&limit=50`);
export const getSimilar = (id: string): Promise<{ items: { distance: number; item: Item }[] }> =>
  api('GET', `/api/items/${id}/similar?limit=12`);
export const getStatus = (): Promise<Status> => api('GET', '/api/status');
export const listCards = (): Promise<{ cards: Card[] }> => api('GET', '/api/cards');
export const assignCard = (id: string, monitor: string): Promise<CardAssignment> =>
  api('POST', `/api/cards/${encodeURIComponent(id)}/monitor`, { monitor });
export const listMonitors = (): Promise<{ monitors: { name: string; items: number }[] }> =>
  api('GET', '/api/monitors');
export const listCameras = (): Promise<{ cameras: Camera[] }> => api('GET', '/api/cameras');
/** Motion events, newest first (JSON: api() asks for application/json, not the event stream). */
export const listMotionEvents = (limit: number): Promise<{ events: MotionEvent[] }> =>
  api('GET', `/api/events?limit=${limit}`);
export const getFleet = (): Promise<FleetOverview> => api('GET', '/api/fleet');
export const listFleetConfigs = (): Promise<{ configs: FleetConfigEntry[] }> =>
  api('GET', '/api/fleet/configs');
export const startFleetSession = (body: {
  config: string;
  name?: string;
  durationS?: number;
}): Promise<FleetStartReport> => api('POST', '/api/fleet/sessions', body);
export const stopFleetSession = (id: string): Promise<{ stopped: string[]; silent: string[] }> =>
  api('POST', `/api/fleet/sessions/${encodeURIComponent(id)}/stop`);
export const listFleetSessions = (): Promise<{ sessions: SessionManifest[] }> =>
  api('GET', '/api/fleet/sessions');
export const getFleetSession = (id: string): Promise<SessionManifest> =>
  api('GET', `/api/fleet/sessions/${encodeURIComponent(id)}`);
export const getCameraSettings = (name: string): Promise<CameraApplied> =>
  api('GET', `/api/cameras/${encodeURIComponent(name)}/settings`);
export const patchCameraSettings = (name: string, patch: CameraPatch): Promise<CameraApplied> =>
  api('PATCH', `/api/cameras/${encodeURIComponent(name)}/settings`, patch);

export const getSnapshots = (): Promise<SnapshotsOverview> => api('GET', '/api/snapshots');
export const getSnapshotDay = (camera: string, day: string): Promise<SnapshotDayView> =>
  api('GET', `/api/snapshots/${encodeURIComponent(camera)}/days/${day}`);
export const makeTimelapse = (
  camera: string,
  day: string,
): Promise<{ id: string; frames: number; durationS: number; snapshots: number; created: boolean }> =>
  api('POST', `/api/snapshots/${encodeURIComponent(camera)}/days/${day}/timelapse`);

export const getVideoCameras = (): Promise<{ cameras: string[] }> => api('GET', '/api/video/cameras');
export const getVideoTimeline = (
  camera: string,
  from: string,
  to: string,
): Promise<{ spans: { from: string; to: string }[] }> =>
  api(
    'GET',
    `/api/video/timeline?camera=${encodeURIComponent(camera)}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
  );
export const getVideoExports = (): Promise<{ exports: VideoExportJob[] }> => api('GET', '/api/video/exports');
export const startVideoExport = (body: {
  camera: string;
  from: string;
  to: string;
  mode: 'smart' | 'keyframe';
}): Promise<VideoExportJob> => api('POST', '/api/video/exports', body);
export const cancelVideoExport = (id: string): Promise<void> =>
  api('DELETE', `/api/video/exports/${encodeURIComponent(id)}`);
export const startVideoEdit = (body: {
  pieces: { item: string; inS: number; outS: number }[];
  preset: 'original' | '1080p' | '720p';
  audio: boolean;
  rotate: 0 | 90 | 180 | 270;
}): Promise<VideoExportJob> => api('POST', '/api/video/edits', body);
