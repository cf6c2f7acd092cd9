import { hostname as osHostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { OutpostError } from '../../core/errors.js';
import type { ClockStatus } from '../../devices/clock-watch.js';
import type { AppDeps } from '../deps.js';
import { defineRoute } from '../route.js';
import { noQuery } from '../schemas.js';

/** The station's own machine, for the web app: its clock, and the name it announces on the LAN. */
export interface SystemControl {
  clock: {
    status(): ClockStatus;
    /** Set the clock to `ms` (CLOCK_REFUSED with `details.overrulable`, CLOCK_SET_FAILED). */
    set(ms: number, opts: { overrule?: boolean }): Promise<ClockStatus>;
  };
  /** Editors may set the clock from the web app (config station.clock.allowSetFromTablet). */
  allowClockSet: boolean;
  /** The host name Avahi announces (`<name>.local`); defaults to os.hostname(). */
  hostname?: string;
}

const clockSchema = z.object({
  state: z.enum(['trusted', 'suspect']),
  reason: z.enum(['before-build', 'behind-evidence', 'jumped-back']).nullable(),
  basis: z.enum(['ntp', 'evidence']).nullable().describe('Why it is trusted'),
  now: z.string().describe("What the station's clock says, ISO 8601"),
  message: z.string().nullable(),
  action: z.string().nullable(),
  behindMs: z.number().nullable().describe('How far behind it is at least, when known'),
  newest: z
    .object({ source: z.enum(['catalogue', 'hlc', 'last-good']), at: z.string() })
    .nullable()
    .describe('The newest time the station had seen before now'),
  ntp: z.object({ active: z.boolean(), synchronized: z.boolean() }).nullable(),
  build: z.string().describe('When this version of Outpost was built'),
  canSet: z.boolean().describe('The clock may be set from a tablet now (not while NTP keeps it)'),
  allowSet: z
    .boolean()
    .describe('This station lets editors set its clock (station.clock.allowSetFromTablet)'),
});

const setClockBody = z
  .object({
    time: z.iso.datetime({ offset: true }).describe("The tablet's time, ISO 8601 with a zone"),
    confirm: z.literal(true, { error: "confirm must be true: this changes the station's clock" }),
    overrule: z
      .boolean()
      .optional()
      .describe(
        'Set it even though the time is before what the library recorded (that came from a clock that was ahead)',
      ),
  })
  .strict();

const addressSchema = z.object({
  hostname: z.string(),
  /** http://<host>.local:<port>/ as Avahi announces it. */
  url: z.string(),
});

/** The station's host name as a `.local` name: Avahi announces the first label, lower case is usual. */
export function mdnsUrl(host: string, port: number): string {
  const name = host.split('.')[0] || host;
  return `http://${name}.local${port === 80 ? '' : `:${port}`}/`;
}

/**
 * `/api/system/clock` (read: viewers; set: editors, with `confirm: true`) and
 * `/api/system/address` (public: the first-start screen shows how to find the station). Station only.
 */
export function registerSystemRoutes(app: FastifyInstance, deps: AppDeps): void {
  const sys = deps.system;
  if (!sys) return;
  const tags = ['system'];
  const view = (s: ClockStatus): z.output<typeof clockSchema> => ({ ...s, allowSet: sys.allowClockSet });
  defineRoute(app, {
    method: 'GET',
    url: '/api/system/clock',
    role: 'viewer',
    tags,
    summary: "The station's clock: trusted, or suspect and why",
    description:
      'A Raspberry Pi has no battery clock: after a power cut with no internet its time can be days behind. ' +
      'While `state` is `suspect`, cards wait (nothing is filed under a wrong download date) and cameras pause. ' +
      'The web app compares `now` with the tablet clock.',
    query: noQuery,
    responses: { 200: clockSchema },
    handler: async () => view(sys.clock.status()),
  });
  defineRoute(app, {
    method: 'POST',
    url: '/api/system/clock',
    role: 'editor',
    tags,
    summary: "Set the station's clock to the tablet's time",
    description:
      'Refused (409 CLOCK_REFUSED) before the build of this version, while NTP keeps the clock, and before ' +
      'the newest time the library recorded unless `overrule: true` (`details.overrulable` says when that is possible). ' +
      '500 CLOCK_SET_FAILED when the machine does not allow it.',
    query: noQuery,
    body: setClockBody,
    responses: { 200: clockSchema },
    handler: async ({ body }) => {
      if (!sys.allowClockSet)
        throw new OutpostError(
          'CLOCK_REFUSED',
          'this station does not let its clock be set from the web app',
          {
            hint: 'Set station.clock.allowSetFromTablet: true in its config, or set it on the station (`sudo date -s`).',
            details: { reason: 'disabled', overrulable: false },
          },
        );
      return view(await sys.clock.set(Date.parse(body.time), { overrule: body.overrule === true }));
    },
  });
  defineRoute(app, {
    method: 'GET',
    url: '/api/system/address',
    role: 'public',
    tags,
    summary: 'The name the station announces on the LAN (mDNS), for the first-start screen',
    query: noQuery,
    responses: { 200: addressSchema },
    handler: async (_in, req) => {
      const host = sys.hostname ?? osHostname();
      return { hostname: host, url: mdnsUrl(host, req.socket.localPort ?? 80) };
    },
  });
}
