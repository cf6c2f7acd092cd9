import { z } from 'zod';

/**
 * `fleet:` in a station's config (docs/fleet.md "A station in the fleet"): the fleet agent inside
 * `outpost station` — the broker it joins, its name there, which cameras it offers — and the
 * optional Home Assistant discovery of those cameras.
 */

/** A topic level and a folder name (the fleet protocol's names). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const nameSchema = z
  .string()
  .regex(NAME, 'letters, digits, ".", "_" or "-" (at most 63), not starting with "." or "-"');

export const fleetBrokerSchema = z.strictObject({
  url: z
    .string()
    .regex(/^mqtts?:\/\/[^\s]+$/, 'mqtt://host:port or mqtts://host:port')
    .default('mqtt://127.0.0.1:1883'),
  username: z.string().max(200).optional(),
  password: z.string().max(200).optional(),
  /** CA certificate (PEM file) for mqtts:// with a private CA. */
  caFile: z.string().startsWith('/').optional(),
  root: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'topic levels of letters, digits, "_", "-"')
    .default('outpost/fleet'),
});

export const fleetSchema = z
  .strictObject({
    /** Join the fleet: the conductor can start and stop this station's cameras. */
    enabled: z.boolean().default(false),
    /** Name on the broker; default: the host name. Not `conductor`. */
    station: nameSchema.refine((v) => v !== 'conductor', '"conductor" is the conductor\'s own').optional(),
    broker: fleetBrokerSchema.prefault({}),
    /** Cameras offered to sessions; default: the configured cameras' names, or `cam`. */
    cameras: z.array(nameSchema).min(1).max(64).optional(),
    /** MQTT keepalive; the station is shown offline 1.5 × this after it dies. */
    keepaliveSeconds: z.number().int().min(2).max(600).default(10),
    /** Refuse a session below this much free space on the library drive. */
    minFreeGB: z.number().min(0).default(1),
    /**
     * The conductor in this station (or HQ): the web app's Fleet page starts and stops sessions
     * from the fleet configs in `configDir` and keeps their manifests in `sessionsDir`.
     */
    conductor: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Fleet configs (`*.yaml`) the Fleet page offers. */
        configDir: z.string().startsWith('/').default('/etc/outpost/fleet'),
        sessionsDir: z.string().startsWith('/').default('/var/lib/outpost/fleet/sessions'),
        /** While a session runs, its stations' clock offsets are measured again this often. */
        clockSampleSeconds: z.number().min(5).max(3600).default(60),
        /**
         * A station offline, or a camera failed or not recording its session, this long becomes an
         * alert (logged, on the Fleet page); shorter is a restart, not worth anyone's attention.
         */
        alertAfterSeconds: z.number().min(1).max(3600).default(15),
        /** Run the broker here (aedes) on `host`:`port`, with `broker.username`/`password` when set. */
        embeddedBroker: z
          .strictObject({
            enabled: z.boolean().default(false),
            host: z.string().min(1).default('0.0.0.0'),
            port: z.number().int().min(0).max(65535).default(1883),
          })
          .prefault({}),
      })
      .prefault({}),
    /** Announce the cameras to Home Assistant (MQTT discovery). */
    homeAssistant: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Home Assistant's discovery prefix. */
        prefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'topic levels of letters, digits, "_", "-"')
          .default('homeassistant'),
      })
      .prefault({}),
  })
  .prefault({});
export type FleetSettings = z.infer<typeof fleetSchema>;
