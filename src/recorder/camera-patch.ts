/**
 * Changes to one camera's recording made while it runs (the web app's Cameras page, a fleet's
 * `config push`): picture, segments, mode, live view, motion, stream, sound and Pi camera
 * controls. Pure: the
 * schema every door parses a patch with, how patches add up, and the settings they give.
 * `null` takes a value back to the config's.
 */
import { z } from 'zod';
import type { OverlayPosition } from './live/overlay.js';
import { DEFAULT_MOTION_CONFIG } from './motion/config.js';
import type { CameraSettings } from './recorder.js';
import { controlsOf, rpicamControlProblems, withControls, withoutControls } from './rpicam-controls.js';

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
    mode: opt(z.enum(['continuous', 'motion'])),
    /** Sound from a microphone: `alsa:<device>`. */
    audio: opt(z.string().regex(/^alsa:[A-Za-z0-9_:,=.-]{1,64}$/, 'alsa:<device>, e.g. alsa:plughw:1,0')),
    /** Pi cameras: rpicam-vid's controls (rpicam-controls.ts), all of them (they replace the config's). */
    controls: opt(
      z
        .record(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/), z.union([z.string().max(64), z.number()]))
        .superRefine((c, ctx) => {
          for (const p of rpicamControlProblems(c)) ctx.addIssue({ code: 'custom', message: p });
        }),
    ),
  })
  .refine((p) => (p.width === undefined) === (p.height === undefined), {
    message: 'width and height go together',
    path: ['height'],
  });

type ControlMap = Record<string, string | number>;
type OverrideValue = number | boolean | string | ControlMap;
export type CameraPatch = z.infer<typeof cameraPatchSchema>;

/** The values a camera runs with over its config (no nulls: a null removed the key). */
export type CameraOverrides = Partial<Record<keyof CameraPatch, OverrideValue>>;

/** `patch` over `current`: set keys replace, null keys are dropped (back to the config). */
export function mergePatch(current: CameraOverrides, patch: CameraPatch): CameraOverrides {
  const out: Record<string, OverrideValue> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out as CameraOverrides;
}

/** The same controls, whatever their order and whether a value is written as a number or text. */
function sameControls(a: ControlMap, b: ControlMap): boolean {
  const norm = (m: ControlMap): string =>
    JSON.stringify(
      Object.entries(m)
        .map(([k, v]) => [k, String(v)])
        .sort(),
    );
  return norm(a) === norm(b);
}

/** Overrides that say what the config says already are dropped: `overridden` means different. */
export function withoutDefaults(o: CameraOverrides, base: CameraSettings): CameraOverrides {
  const a = appliedSettings(base, undefined);
  const out: Record<string, OverrideValue> = {};
  // The size is one setting: both kept when either differs.
  const sizeDiffers = o.width !== a.width || o.height !== a.height;
  for (const [k, v] of Object.entries(o)) {
    const keep =
      k === 'width' || k === 'height'
        ? sizeDiffers
        : k === 'controls'
          ? sameControls(a.controls, v as ControlMap) === false
          : JSON.stringify(a[k as keyof Omit<AppliedSettings, 'overridden' | 'width' | 'height'>]) !==
            JSON.stringify(v);
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
  if (o.mode !== undefined) out.mode = o.mode as 'continuous' | 'motion';
  if (o.audio !== undefined) out.audio = o.audio as string;
  if (o.controls !== undefined)
    out.source = withControls(withoutControls(base.source), o.controls as ControlMap);
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
  mode: 'continuous' | 'motion';
  audio: string | null;
  /** Pi cameras: the controls in the source; empty for other sources. */
  controls: ControlMap;
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
    mode: s.mode,
    audio: s.audio ?? null,
    controls: controlsOf(s.source),
    overridden: Object.keys(o ?? {}) as (keyof CameraPatch)[],
  };
}
