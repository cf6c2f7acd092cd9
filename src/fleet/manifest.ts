/**
 * A session manifest (docs/fleet.md "Sessions"): what was asked of every station and camera and
 * what actually happened — answers, clock offsets, requested and actual starts and stops,
 * segments with their hashes, gaps, errors. Pure: built from the start report, then each event
 * folded in.
 */
import type { OffsetSample } from './clock-offset.js';
import type { StartReport } from './conductor.js';
import type { AppliedExtras, CameraPlan, FleetEvent } from './protocol.js';

export interface ManifestCamera {
  settings: CameraPlan;
  /** What the station settled beyond the settings: the locked exposure, the stream's address. */
  applied?: AppliedExtras;
  requestedAt: string | null;
  actualAt: string | null;
  late: boolean;
  stoppedAt: string | null;
  stopReason: string | null;
  segments: { path: string; sha256: string; start: string; durationS: number; bytes: number }[];
  gaps: { from: string; to: string; reason: string }[];
  errors: { at: string; message: string }[];
}

export interface ManifestStation {
  answer: 'accepted' | 'refused' | 'silent';
  /** Accepted after the start report (it came back during the session). */
  joinedLate: boolean;
  answerMs: number | null;
  refusal: { code: string; reason: string } | null;
  clock: OffsetSample | null;
  /** Clock offsets measured again while the session ran (the conductor pings every minute). */
  clockSamples?: OffsetSample[];
  clockWarning: string | null;
  instance: string | null;
  /**
   * Times the conductor lost the station during the session (its last will, or a frozen link
   * past the keepalive); `to` null while it is still away. The station records on by itself:
   * these are gaps in contact, its own segments and gaps say what it recorded.
   */
  offline?: { from: string; to: string | null }[];
  cameras: Record<string, ManifestCamera>;
}

export interface SessionManifest {
  v: 1;
  id: string;
  group: string;
  name: string;
  createdAt: string;
  startAt: string;
  maxDurationS: number;
  onConductorLost: 'continue' | 'stop';
  silenceS: number;
  stations: Record<string, ManifestStation>;
  updatedAt: string;
}

export function newManifest(r: StartReport, plans: Map<string, CameraPlan[]>, now: Date): SessionManifest {
  const s = r.session;
  const refused = new Map(r.refused.map((x) => [x.station, x]));
  const stations: Record<string, ManifestStation> = {};
  for (const st of s.stations) {
    const ref = refused.get(st);
    stations[st] = {
      answer: r.accepted.includes(st) ? 'accepted' : ref ? 'refused' : 'silent',
      joinedLate: false,
      answerMs: r.answerMs[st] ?? null,
      refusal: ref ? { code: ref.code, reason: ref.reason } : null,
      clock: r.clock[st] ?? null,
      clockWarning: r.clockWarnings.find((w) => w.station === st)?.message ?? null,
      instance: null,
      offline: [],
      cameras: Object.fromEntries(
        (plans.get(st) ?? []).map((p) => [
          p.camera,
          {
            settings: p,
            requestedAt: null,
            actualAt: null,
            late: false,
            stoppedAt: null,
            stopReason: null,
            segments: [],
            gaps: [],
            errors: [],
          },
        ]),
      ),
    };
  }
  return {
    v: 1,
    id: s.id,
    group: s.group,
    name: s.name,
    createdAt: now.toISOString(),
    startAt: s.startAt,
    maxDurationS: s.maxDurationS,
    onConductorLost: s.onConductorLost,
    silenceS: s.silenceS,
    stations,
    updatedAt: now.toISOString(),
  };
}

/** Fold one station event into the manifest; false when it is not about this session. */
export function applyEvent(m: SessionManifest, e: FleetEvent): boolean {
  if (!('session' in e) || e.session !== m.id) return false;
  const st = m.stations[e.station];
  if (!st) return false;
  st.instance = e.instance;
  m.updatedAt = e.at;
  if (e.kind === 'accepted') {
    if (st.answer !== 'accepted') st.joinedLate = true;
    st.answer = 'accepted';
    st.refusal = null;
    return true;
  }
  if (e.kind === 'refused') {
    if (st.answer !== 'accepted') {
      st.answer = 'refused';
      st.refusal = { code: e.code, reason: e.reason };
    }
    return true;
  }
  if (!('camera' in e)) return true;
  const cam = st.cameras[e.camera];
  if (!cam) return false;
  switch (e.kind) {
    case 'started':
      cam.requestedAt = e.requestedAt;
      cam.actualAt = e.actualAt;
      cam.late = e.late;
      if (e.applied) cam.applied = e.applied;
      break;
    case 'stopped':
      cam.stoppedAt = e.stoppedAt;
      cam.stopReason = e.reason;
      if (e.reason === 'failed') cam.errors.push({ at: e.at, message: 'the recording failed' });
      break;
    case 'segment':
      if (!cam.segments.some((x) => x.sha256 === e.sha256 && x.path === e.path))
        cam.segments.push({
          path: e.path,
          sha256: e.sha256,
          start: e.start,
          durationS: e.durationS,
          bytes: e.bytes,
        });
      break;
    case 'gap':
      cam.gaps.push({ from: e.from, to: e.to, reason: e.reason });
      break;
  }
  return true;
}

/**
 * A station of the session went away or came back (the conductor's view of its presence) at
 * `at` (ISO): kept as intervals while the session runs; false when nothing changed.
 */
export function applyPresence(m: SessionManifest, station: string, online: boolean, at: string): boolean {
  const st = m.stations[station];
  if (!st || st.answer !== 'accepted') return false;
  const end = Date.parse(m.startAt) + m.maxDurationS * 1000;
  const open = (st.offline ??= []).find((x) => x.to === null);
  if (!online) {
    if (open || Date.parse(at) >= end) return false;
    st.offline.push({ from: at, to: null });
    return true;
  }
  if (!open) return false;
  open.to = at;
  return true;
}

/** A clock offset measured during the session; false when the station is not recording it. */
export function applyClockSample(m: SessionManifest, station: string, sample: OffsetSample): boolean {
  const st = m.stations[station];
  if (!st || st.answer !== 'accepted') return false;
  (st.clockSamples ??= []).push(sample);
  return true;
}

/** One line per station for people: answer, cameras recording/stopped, segments, gaps. */
export function manifestSummary(
  m: SessionManifest,
): { station: string; answer: string; cameras: string; segments: number; gaps: number }[] {
  return Object.entries(m.stations).map(([station, s]) => ({
    station,
    answer:
      s.answer === 'refused' ? `refused (${s.refusal?.code})` : s.joinedLate ? 'accepted (late)' : s.answer,
    cameras: Object.entries(s.cameras)
      .map(
        ([c, v]) =>
          `${c}: ${v.stopReason ? `stopped (${v.stopReason})` : v.actualAt ? 'recording' : 'not started'}`,
      )
      .join(', '),
    segments: Object.values(s.cameras).reduce((n, c) => n + c.segments.length, 0),
    gaps: Object.values(s.cameras).reduce((n, c) => n + c.gaps.length, 0),
  }));
}
