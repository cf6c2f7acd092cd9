import { z } from 'zod';
import { DEFAULT_NAME_TEMPLATE, templateProblems } from '../core/naming.js';

/** The station/HQ config file. Every key has a default: an empty file is a valid config. */
export const configSchema = z
  .object({
    /** Library drive used by `outpost station` and as the default for --library. */
    library: z.string().min(1).optional(),
    /** Identity of this machine in the op log (defaults to the host name). */
    node: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .optional(),
    /** IANA time zone for file dates without one (defaults to the system zone). */
    timeZone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'unknown IANA time zone')
      .optional(),
    log: z
      .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info') })
      .prefault({}),
    station: z
      .strictObject({
        /** Where removable volumes are mounted. */
        watchRoots: z.array(z.string().startsWith('/')).default(['/media', '/run/media']),
        pollIntervalMs: z.number().int().min(100).max(60_000).default(1000),
      })
      .prefault({}),
    server: z
      .strictObject({
        /** Serve the web app and API (LAN). */
        enabled: z.boolean().default(true),
        /** 0.0.0.0 serves the LAN; 127.0.0.1 only this machine. */
        host: z.string().min(1).default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8080),
      })
      .prefault({}),
    ingest: z
      .strictObject({
        nameTemplate: z
          .string()
          .default(DEFAULT_NAME_TEMPLATE)
          .superRefine((t, ctx) => {
            for (const p of templateProblems(t)) ctx.addIssue({ code: 'custom', message: p });
          }),
        thumbnailSize: z.number().int().min(64).max(1024).default(320),
        previewSize: z.number().int().min(640).max(4096).default(1600),
        /** Derivative workers; copying is sequential (one card reader). */
        deriveConcurrency: z.number().int().min(1).max(8).default(2),
        /** Keep this much free on the library drive; below it ingest stops cleanly. */
        minFreeBytes: z
          .number()
          .int()
          .min(0)
          .default(64 * 1024 * 1024),
        cleanup: z
          .strictObject({
            /** never: leave cards alone; verified: erase files whose library copy re-hashes correctly. */
            policy: z.enum(['never', 'verified']).default('never'),
            /** Where a verified copy must exist before a card file is erased. */
            require: z.array(z.enum(['library', 'mirror', 'hq'])).default(['library']),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
