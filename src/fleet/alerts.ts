/**
 * Fleet alerts (pure): what needs someone's attention, raised only once it has lasted a short
 * delay (a station rebooting or a pipeline restarting is not an alert), cleared when it ends.
 *
 * - `station-offline`: a station seen online (or one a session is set for) is offline.
 * - `camera-failed`: a station reports a camera whose pipeline failed.
 * - `camera-not-recording`: a session is running for a station (past its start, before its end
 *   or stop) and one of the session's cameras there is not recording.
 *
 * The session manifest keeps the matching record (offline intervals, gaps); alerts are the live
 * view of it: logged when raised and cleared, on the Fleet page and in `outpost fleet status`.
 */
import { sessionEndMs, type Desired, type StationStatus } from './protocol.js';

export type AlertKind = 'station-offline' | 'camera-failed' | 'camera-not-recording';

export interface FleetAlert {
  kind: AlertKind;
  station: string;
  camera?: string;
  session?: string;
  /** When the condition began (conductor clock, ISO). */
  since: string;
}

/** A condition seen now, and since when if known (else: since it was first seen). */
export interface AlertCondition {
  kind: AlertKind;
  station: string;
  camera?: string;
  session?: string;
  sinceMs?: number;
}

export interface StationView {
  station: string;
  online: boolean;
  lastSeenMs: number;
  status?: Pick<StationStatus, 'cameras'>;
}

/** A camera may take this long after a session's start (or a station's return) to record. */
export const START_GRACE_MS = 10_000;

/** The conditions in the conductor's view of the fleet at `nowMs`. */
export function alertConditions(
  stations: readonly StationView[],
  desired: ReadonlyMap<string, Desired>,
  nowMs: number,
): AlertCondition[] {
  const out: AlertCondition[] = [];
  for (const s of stations) {
    if (!s.online) {
      // A station this conductor saw online, or one a session waits for (not every name whose
      // retained last will lingers on the broker).
      if (s.status || desired.get(s.station)?.session)
        out.push({ kind: 'station-offline', station: s.station, sinceMs: s.lastSeenMs });
      continue;
    }
    const cams = new Map((s.status?.cameras ?? []).map((c) => [c.camera, c]));
    for (const c of cams.values())
      if (c.state === 'failed')
        out.push({
          kind: 'camera-failed',
          station: s.station,
          camera: c.camera,
          ...(c.session ? { session: c.session } : {}),
        });
    const d = desired.get(s.station);
    const plan = d?.session;
    if (!plan) continue;
    const startMs = Date.parse(plan.startAt);
    const endMs = Math.min(sessionEndMs(plan), d.stopAt ? Date.parse(d.stopAt) : Infinity);
    if (nowMs < startMs + START_GRACE_MS || nowMs >= endMs) continue;
    for (const p of plan.cameras) {
      const c = cams.get(p.camera);
      if (c?.state === 'failed') continue; // already said
      if (c?.state === 'recording' && c.session === plan.id) continue;
      out.push({ kind: 'camera-not-recording', station: s.station, camera: p.camera, session: plan.id });
    }
  }
  return out;
}

const keyOf = (c: Pick<AlertCondition, 'kind' | 'station' | 'camera'>): string =>
  `${c.kind}\u0000${c.station}\u0000${c.camera ?? ''}`;

/** Conditions over time: raised after `delayMs`, cleared when gone. */
export class AlertTracker {
  private readonly seen = new Map<string, { c: AlertCondition; sinceMs: number }>();
  private readonly up = new Map<string, FleetAlert>();

  constructor(private readonly delayMs: number) {}

  /** Feed the conditions of now; returns the alerts raised and cleared by this look. */
  update(
    conditions: readonly AlertCondition[],
    nowMs: number,
  ): { raised: FleetAlert[]; cleared: FleetAlert[] } {
    const now = new Map(conditions.map((c) => [keyOf(c), c]));
    const cleared: FleetAlert[] = [];
    for (const [k] of this.seen)
      if (!now.has(k)) {
        this.seen.delete(k);
        const a = this.up.get(k);
        if (a) {
          this.up.delete(k);
          cleared.push(a);
        }
      }
    const raised: FleetAlert[] = [];
    for (const [k, c] of now) {
      let s = this.seen.get(k);
      if (!s) this.seen.set(k, (s = { c, sinceMs: Math.min(c.sinceMs ?? nowMs, nowMs) }));
      s.c = c;
      if (!this.up.has(k) && nowMs - s.sinceMs >= this.delayMs) {
        const a: FleetAlert = {
          kind: c.kind,
          station: c.station,
          ...(c.camera !== undefined ? { camera: c.camera } : {}),
          ...(c.session !== undefined ? { session: c.session } : {}),
          since: new Date(s.sinceMs).toISOString(),
        };
        this.up.set(k, a);
        raised.push(a);
      }
    }
    return { raised, cleared };
  }

  /** The alerts raised and not cleared, oldest first. */
  active(): FleetAlert[] {
    return [...this.up.values()].sort((a, b) => a.since.localeCompare(b.since));
  }
}

/** One line for logs and the CLI. */
export function describeAlert(a: FleetAlert): string {
  const where = a.camera !== undefined ? `${a.station}/${a.camera}` : a.station;
  switch (a.kind) {
    case 'station-offline':
      return `${where} is offline since ${a.since}`;
    case 'camera-failed':
      return `${where}: the camera's pipeline failed (since ${a.since})`;
    case 'camera-not-recording':
      return `${where} is not recording session ${a.session ?? ''} (since ${a.since})`;
  }
}
