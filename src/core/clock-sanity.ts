/**
 * Is the station's clock plausible? A Raspberry Pi has no battery clock and a field office may
 * have no internet: after a power cut the clock can restart days behind (fake-hwclock restores
 * the last saved time; with no NTP nothing corrects it). Download folders
 * (`library/<monitor>/<YYYY-MM-DD>/`), `imported_at` and recording names come from this clock,
 * so the station asks here first. Pure: every time is passed in.
 *
 * The rules, first match wins:
 * 1. NTP says the clock is synchronised → trusted.
 * 2. Before the build of this program (minus an hour) → suspect `before-build`.
 * 3. Before the newest time the station has already seen (minus a tolerance) → suspect
 *    `behind-evidence`. The evidence: the newest `imported_at` in the catalogue, the wall time of
 *    its hybrid logical clock, and the "last good time" the station writes every few minutes while
 *    its clock is trusted (like fake-hwclock). The HLC can be pushed ahead by other nodes' stamps,
 *    so it counts only when it is within a day of the other evidence. Evidence at or below
 *    `overruledUpToMs` (catalogue and HLC) is ignored: someone set the clock and confirmed the old
 *    evidence came from a clock that was ahead (the last good time is rewritten then instead).
 * 4. The wall clock jumped back against the monotonic clock since it was last trusted (by more
 *    than a couple of minutes, not by the station's own setting) → suspect `jumped-back`.
 * 5. Otherwise trusted.
 *
 * A clock that is ahead cannot be caught by these rules (only by a person or NTP); the web app
 * compares with the tablet's clock for that.
 */

/** The station's clock is this far behind the evidence before it is suspect (NTP slew, small skew). */
export const CLOCK_TOLERANCE_MS = 10 * 60_000;
/** A clock this far before the program's build is wrong. */
export const BUILD_SLACK_MS = 60 * 60_000;
/** The HLC counts only when it is no further than this ahead of the other evidence. */
export const HLC_CAP_MS = 24 * 60 * 60_000;
/** A wall-clock step (against the monotonic clock) larger than this is a jump. */
export const JUMP_THRESHOLD_MS = 2 * 60_000;

export type EvidenceSource = 'catalogue' | 'hlc' | 'last-good';

/** A time the station has seen before now: the clock should not be behind it. */
export interface ClockEvidence {
  source: EvidenceSource;
  ms: number;
}

export type SuspectReason = 'before-build' | 'behind-evidence' | 'jumped-back';

export interface ClockInputs {
  nowMs: number;
  /** When this program was built (bundle time; a fallback otherwise). */
  buildMs: number;
  evidence: readonly ClockEvidence[];
  /** Evidence at or below this is ignored (a person overruled it when setting the clock). */
  overruledUpToMs?: number | undefined;
  /** A backward jump seen since the clock was last trusted: by how much, and when (wall ms after). */
  jumpedBackMs?: number | undefined;
  /** NTP state when known: true means the kernel clock is synchronised. */
  ntpSynchronized?: boolean | null | undefined;
  toleranceMs?: number;
}

interface VerdictBase {
  nowMs: number;
  /** The newest evidence that counted, if any. */
  newest?: ClockEvidence | undefined;
}

export type ClockVerdict =
  | (VerdictBase & { state: 'trusted'; basis: 'ntp' | 'evidence' })
  | (VerdictBase & {
      state: 'suspect';
      reason: SuspectReason;
      /** How far behind what it should at least be (ms), when known. */
      behindMs?: number | undefined;
      /** One sentence for people (English; the web app has its own words). */
      message: string;
      /** What to do. */
      action: string;
    });

const SOURCE_WORDS: Record<EvidenceSource, string> = {
  catalogue: 'the newest item in the library',
  hlc: 'the newest edit in the library',
  'last-good': 'the last time this station knew its clock was right',
};

const ACTION =
  "Set the station's clock from a tablet (web app, Status page), or connect the station to the internet (NTP). Cards wait until then.";

/**
 * The evidence that counts: overruled values dropped, and the HLC dropped when it is more than
 * {@link HLC_CAP_MS} ahead of the other evidence (a stamp from a node whose clock was ahead must
 * not make every clock look behind). Returns the newest that counts.
 */
export function newestEvidence(
  evidence: readonly ClockEvidence[],
  overruledUpToMs?: number,
): ClockEvidence | undefined {
  // The last good time is the station's own, rewritten after every setting: never overruled.
  const kept = evidence.filter(
    (e) =>
      Number.isFinite(e.ms) &&
      (e.source === 'last-good' || overruledUpToMs === undefined || e.ms > overruledUpToMs),
  );
  const others = kept.filter((e) => e.source !== 'hlc');
  const otherMax = others.length ? Math.max(...others.map((e) => e.ms)) : undefined;
  const counted = kept.filter(
    (e) => e.source !== 'hlc' || otherMax === undefined || e.ms <= otherMax + HLC_CAP_MS,
  );
  let newest: ClockEvidence | undefined;
  for (const e of counted) if (!newest || e.ms > newest.ms) newest = e;
  return newest;
}

/** The verdict on the clock now (rules in the module comment). */
export function assessClock(i: ClockInputs): ClockVerdict {
  const tolerance = i.toleranceMs ?? CLOCK_TOLERANCE_MS;
  const newest = newestEvidence(i.evidence, i.overruledUpToMs);
  const base = { nowMs: i.nowMs, ...(newest ? { newest } : {}) };
  if (i.ntpSynchronized === true) return { ...base, state: 'trusted', basis: 'ntp' };
  if (i.nowMs < i.buildMs - BUILD_SLACK_MS)
    return {
      ...base,
      state: 'suspect',
      reason: 'before-build',
      behindMs: Math.max(i.buildMs - i.nowMs, newest ? newest.ms - i.nowMs : 0),
      message: `The station's clock says ${isoMinute(i.nowMs)}, before this version of Outpost was made (${isoMinute(i.buildMs)}): it is wrong.`,
      action: ACTION,
    };
  if (newest && i.nowMs < newest.ms - tolerance)
    return {
      ...base,
      state: 'suspect',
      reason: 'behind-evidence',
      behindMs: newest.ms - i.nowMs,
      message: `The station's clock says ${isoMinute(i.nowMs)}, ${formatDuration(newest.ms - i.nowMs)} before ${SOURCE_WORDS[newest.source]} (${isoMinute(newest.ms)}): it is behind.`,
      action: ACTION,
    };
  if (i.jumpedBackMs !== undefined && i.jumpedBackMs > JUMP_THRESHOLD_MS)
    return {
      ...base,
      state: 'suspect',
      reason: 'jumped-back',
      behindMs: undefined,
      message: `The station's clock jumped back by ${formatDuration(i.jumpedBackMs)} while it was running (now ${isoMinute(i.nowMs)}).`,
      action: `If that was a correction, confirm it: ${ACTION}`,
    };
  return { ...base, state: 'trusted', basis: 'evidence' };
}

/** One reading of the wall clock and the monotonic clock at the same moment. */
export interface ClockSample {
  wallMs: number;
  monoMs: number;
}

/**
 * How far the wall clock moved against the monotonic clock between two samples: positive when it
 * stepped forward (NTP fixing a slow clock, `date -s`), negative when it stepped back. Drift of a
 * few milliseconds is normal; a jump is beyond {@link JUMP_THRESHOLD_MS}.
 */
export function clockStep(from: ClockSample, to: ClockSample): number {
  return to.wallMs - from.wallMs - (to.monoMs - from.monoMs);
}

export type ProposedTimeCheck =
  | { ok: true; overrules?: number | undefined }
  | {
      ok: false;
      reason: 'before-build' | 'behind-evidence' | 'ntp' | 'invalid';
      message: string;
      /** The refusal can be overruled by confirming again (the evidence came from a clock that was ahead). */
      overrulable: boolean;
    };

/**
 * May the station's clock be set to `proposedMs` (the tablet's time)? Never before the build;
 * not before the evidence unless `overrule` (then the answer says which evidence is overruled);
 * not while NTP keeps the clock (it is right, and would undo the change).
 */
export function checkProposedTime(p: {
  proposedMs: number;
  buildMs: number;
  evidence: readonly ClockEvidence[];
  overruledUpToMs?: number | undefined;
  ntpSynchronized?: boolean | null | undefined;
  overrule?: boolean;
  toleranceMs?: number;
}): ProposedTimeCheck {
  if (!Number.isFinite(p.proposedMs))
    return { ok: false, reason: 'invalid', message: 'not a time', overrulable: false };
  if (p.ntpSynchronized === true)
    return {
      ok: false,
      reason: 'ntp',
      message:
        "The station's clock is synchronised over the internet (NTP), so it is right; check the tablet's clock instead.",
      overrulable: false,
    };
  if (p.proposedMs < p.buildMs - BUILD_SLACK_MS)
    return {
      ok: false,
      reason: 'before-build',
      message: `${isoMinute(p.proposedMs)} is before this version of Outpost was made (${isoMinute(p.buildMs)}): the tablet's clock is wrong too.`,
      overrulable: false,
    };
  const newest = newestEvidence(p.evidence, p.overruledUpToMs);
  if (newest && p.proposedMs < newest.ms - (p.toleranceMs ?? CLOCK_TOLERANCE_MS)) {
    if (p.overrule) return { ok: true, overrules: newest.ms };
    return {
      ok: false,
      reason: 'behind-evidence',
      message: `${isoMinute(p.proposedMs)} is before ${SOURCE_WORDS[newest.source]} (${isoMinute(newest.ms)}). Either the tablet's clock is behind, or the station's clock was ahead when that was recorded; set it anyway only if you are sure of the tablet's time.`,
      overrulable: true,
    };
  }
  return { ok: true };
}

/** `2026-12-04 08:43 UTC` */
export function isoMinute(ms: number): string {
  if (!Number.isFinite(ms)) return 'an invalid time';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "3 days", "5 hours", "12 minutes" (the largest whole unit). */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units)
    if (abs >= size) {
      const n = Math.floor(abs / size);
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  return `${Math.round(abs)} ms`;
}
