/**
 * A station's clock offset from the conductor's, NTP-style, from ping round trips. Pure.
 *
 * The conductor sends at t0 (its clock), the station notes t1 (its clock) and answers at once, the
 * conductor receives at t3. With the way out and back taking about as long, the station's clock
 * reads t1 when the conductor's reads (t0 + t3) / 2: offset = t1 − (t0 + t3) / 2, known to ± rtt/2.
 * Of several samples the one with the shortest round trip is the best.
 */
export interface OffsetSample {
  /** Station clock minus conductor clock, ms (positive: the station is ahead). */
  offsetMs: number;
  rttMs: number;
  /** When it was measured (conductor clock, ISO). */
  at: string;
}

export function offsetSample(t0Ms: number, t1Ms: number, t3Ms: number): OffsetSample {
  const rttMs = Math.max(0, t3Ms - t0Ms);
  return { offsetMs: Math.round(t1Ms - (t0Ms + t3Ms) / 2), rttMs, at: new Date(t3Ms).toISOString() };
}

/** The sample to trust: the shortest round trip (its error bound is the smallest). */
export function bestOffset(samples: readonly OffsetSample[]): OffsetSample | undefined {
  let best: OffsetSample | undefined;
  for (const s of samples) if (!best || s.rttMs < best.rttMs) best = s;
  return best;
}

export type ClockVerdict = { ok: true } | { ok: false; offsetMs: number; message: string };

/** Whether an offset is within `maxOffsetMs`, with the uncertainty given to the station. */
export function judgeOffset(s: OffsetSample, maxOffsetMs: number): ClockVerdict {
  const worst = Math.abs(s.offsetMs) - s.rttMs / 2;
  if (worst <= maxOffsetMs) return { ok: true };
  const dir = s.offsetMs > 0 ? 'ahead of' : 'behind';
  return {
    ok: false,
    offsetMs: s.offsetMs,
    message: `clock ${(Math.abs(s.offsetMs) / 1000).toFixed(3)} s ${dir} the conductor's (limit ${maxOffsetMs} ms)`,
  };
}
