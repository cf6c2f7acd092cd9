/**
 * Changes to one camera's recording made while it runs (the web app's Cameras page, a fleet's
 * `config push`): rotation, flips, size, frame rate, segment length and live view. Pure: the
 * schema every door parses a patch with, how patches add up, and the settings they give.
 * `null` takes a value back to the config's.
 */
import { z } from 'zod';
import type { OverlayPosition } from './live/overlay.js';
import { DEFAULT_MOTION_CONFIG } from './motion/config.js';
import type { CameraSettings } from './recorder.js';

const opt = <T extends z.ZodType>(t: T) => t.nullable().optional();

export const cameraPatchSchema = z
  .strictObject({
    rotation: opt(z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)])),
    hflip: opt(z.boolean()),
    vflip: opt(z.boolean()),
    width: opt(z.number().int().min(16).max(8192)),
    height: opt(z.number().int().min(16).max(8192)),
    fps: opt(z.number().min(0.1).max(120)),
    segmentSeconds: opt(z.number().min(1).max(3600)),
    live: opt(z.boolean()),
    /** The time on the live view, and its corner. */
    timestamp: opt(z.boolean()),
    timestampPosition: opt(z.enum(['top-left', 'top-right', 'bottom-left', 'bottom-right'])),
    /** Motion mode: the live view marks where motion is. */
    motionHighlight: opt(z.boolean()),
    /** Motion mode: grey levels a pixel must change by (lower: more sensitive). */
    motionThreshold: opt(z.number().int().min(1).max(255)),
    /** H.264 over RTSP/TCP from the station's relay. */
    rtsp: opt(z.boolean()),
  })
  .refine((p) => (p.width === undefined) === (p.height === undefined), {
    message: 'width and height go together',
    path: ['height'],
  });
export type CameraPatch = z.infer<typeof cameraPatchSchema>;

/** The values a camera runs with over its config (no nulls: a null removed the key). */
export type CameraOverrides = Partial<Record<keyof CameraPatch, number | boolean | string>>;

/** `patch` over `current`: set keys replace, null keys are dropped (back to the config). */
export function mergePatch(current: CameraOverrides, patch: CameraPatch): CameraOverrides {
  const out: Record<string, number | boolean | string> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out as CameraOverrides;
}

/** Overrides that say what the config says already are dropped: `overridden` means different. */
export function withoutDefaults(o: CameraOverrides, base: CameraSettings): CameraOverrides {
  const a = appliedSettings(base, undefined);
  const out: Record<string, number | boolean | string> = {};
  // The size is one setting: both kept when either differs.
  const sizeDiffers = o.width !== a.width || o.height !== a.height;
  for (const [k, v] of Object.entries(o)) {
    const keep =
      k === 'width' || k === 'height'
        ? sizeDiffers
        : a[k as keyof Omit<AppliedSettings, 'overridden' | 'width' | 'height'>] !== v;
    if (keep) out[k] = v;
  }
  return out as CameraOverrides;
}

/** The recorder settings of a camera with its overrides (pure). */
export function withOverrides(base: CameraSettings, o: CameraOverrides | undefined): CameraSettings {
  if (!o || Object.keys(o).length === 0) return base;
  const transform = { ...base.transform };
  if (o.rotation !== undefined) transform.rotation = o.rotation as 0 | 90 | 180 | 270;
  if (o.hflip !== undefined) transform.hflip = o.hflip as boolean;
  if (o.vflip !== undefined) transform.vflip = o.vflip as boolean;
  if (o.width !== undefined && o.height !== undefined) {
    transform.width = o.width as number;
    transform.height = o.height as number;
  }
  if (o.fps !== undefined) transform.fps = o.fps as number;
  const out: CameraSettings = { ...base, transform };
  if (o.segmentSeconds !== undefined) out.segmentSeconds = o.segmentSeconds as number;
  if (out.mjpeg && (o.timestamp !== undefined || o.timestampPosition !== undefined))
    out.mjpeg = {
      ...out.mjpeg,
      ...(o.timestamp !== undefined ? { timestamp: o.timestamp as boolean } : {}),
      ...(o.timestampPosition !== undefined ? { position: o.timestampPosition as OverlayPosition } : {}),
    };
  if (o.live === false) delete out.mjpeg;
  if (o.motionHighlight !== undefined) out.motionHighlight = o.motionHighlight as boolean;
  if (o.rtsp !== undefined) out.rtsp = o.rtsp as boolean;
  if (o.motionThreshold !== undefined)
    out.motion = { ...(base.motion ?? DEFAULT_MOTION_CONFIG), threshold: o.motionThreshold as number };
  return out;
}

/** What a camera records with, as the Cameras page shows it. */
export interface AppliedSettings {
  rotation: 0 | 90 | 180 | 270;
  hflip: boolean;
  vflip: boolean;
  width: number | null;
  height: number | null;
  fps: number | null;
  segmentSeconds: number;
  live: boolean;
  timestamp: boolean;
  timestampPosition: OverlayPosition;
  motionHighlight: boolean;
  motionThreshold: number;
  rtsp: boolean;
  /** Which of these differ from the config (changed on the fly). */
  overridden: (keyof CameraPatch)[];
}

export function appliedSettings(s: CameraSettings, o: CameraOverrides | undefined): AppliedSettings {
  const t = s.transform ?? {};
  return {
    rotation: t.rotation ?? 0,
    hflip: !!t.hflip,
    vflip: !!t.vflip,
    width: t.width ?? null,
    height: t.height ?? null,
    fps: t.fps ?? null,
    segmentSeconds: s.segmentSeconds,
    live: !!s.mjpeg,
    timestamp: s.mjpeg?.timestamp ?? false,
    timestampPosition: s.mjpeg?.position ?? 'top-left',
    motionHighlight: !!s.motionHighlight,
    motionThreshold: (s.motion ?? DEFAULT_MOTION_CONFIG).threshold,
    rtsp: !!s.rtsp,
    overridden: Object.keys(o ?? {}) as (keyof CameraPatch)[],
  };
}
