/**
 * `cameras[].timing` in the station config (docs/frame-timing.md): per-frame timestamps beside
 * every recording, and TTL lines through libgpiod. Present (even `{}`): frames.csv is kept.
 */
import { z } from 'zod';

const chip = z.string().regex(/^[A-Za-z0-9._/-]{1,64}$/, 'a chip name or path (`gpiodetect`)');
const line = z.number().int().min(0).max(1023);

export const timingConfigSchema = z.strictObject({
  ttl: z
    .strictObject({
      /** A pulse on one output line at each frame (libgpiod 2 with interactive gpioset) or segment start. */
      output: z
        .strictObject({
          chip: chip.default('gpiochip0'),
          line,
          on: z.enum(['frame', 'segment']).default('frame'),
          pulseMs: z.number().gt(0).max(1000).default(2),
          activeLow: z.boolean().default(false),
        })
        .optional(),
      /** Edges on input lines, recorded on the frames. */
      input: z
        .strictObject({
          chip: chip.default('gpiochip0'),
          lines: z.array(line).min(1).max(64),
          edges: z.enum(['rising', 'falling', 'both']).default('both'),
          activeLow: z.boolean().default(false),
        })
        .optional(),
    })
    .optional(),
});

export type TimingConfig = z.infer<typeof timingConfigSchema>;

/** Config → the recorder's `CameraSettings.timing` (same shape: recorder/timing/run-timing.ts). Pure. */
export function timingSettingsOf(c: TimingConfig | undefined): Pick<TimingConfig, 'ttl'> | undefined {
  if (!c) return undefined;
  return c.ttl ? { ttl: { output: c.ttl.output, input: c.ttl.input } } : {};
}
