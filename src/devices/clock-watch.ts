/**
 * The station's watch on its own clock (rules in src/core/clock-sanity.ts): gathers the evidence
 * (the catalogues it is shown, its persisted last good time, the build time), checks every half
 * minute for jumps against the monotonic clock and for NTP, writes the last good time every few
 * minutes while the clock is trusted (like fake-hwclock), and sets the clock from a tablet's time
 * when a person confirms it.
 *
 * `clock` is the station's best idea of the time for everything else: the real clock while it is
 * trusted; while it is suspect, never earlier than the build, this station's last good time or
 * where the clock was before it jumped back, plus the time elapsed since (a lower bound of the true
 * time), so ops and sessions are not stamped with a time known to be wrong. Ingest and cameras do
 * not use it to file anything while suspect: they wait.
 */
import { EventEmitter } from 'node:events';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../adapters/clock.js';
import { writeFileAtomic } from '../adapters/fs-atomic.js';
import type { Logger } from '../adapters/logger.js';
import type { ClockSetter, NtpState } from '../adapters/system-clock.js';
import {
  JUMP_THRESHOLD_MS,
  assessClock,
  checkProposedTime,
  clockStep,
  type ClockEvidence,
  type ClockSample,
  type ClockVerdict,
  type EvidenceSource,
  type SuspectReason,
} from '../core/clock-sanity.js';
import { OutpostError } from '../core/errors.js';

export interface ClockWatchOptions {
  /** The machine's clock (or the test hook's offset clock). */
  clock: Clock;
  setter: ClockSetter;
  /** When this program was built (src/adapters/build-time.ts). */
  buildMs: number;
  /** Where the last good time (and an overruling) is kept across restarts; undefined: memory only. */
  stateFile?: string | undefined;
  log: Logger;
  /** Monotonic milliseconds (default performance.now). */
  monotonicMs?: () => number;
  checkEveryMs?: number;
  saveEveryMs?: number;
}

/** The clock as /api/status and the web app show it. */
export interface ClockStatus {
  state: 'trusted' | 'suspect';
  reason: SuspectReason | null;
  /** Why it is trusted: NTP, or the rules found nothing wrong. */
  basis: 'ntp' | 'evidence' | null;
  /** What the station's clock says (ISO 8601). */
  now: string;
  message: string | null;
  action: string | null;
  /** How far behind it is at least (ms), when known. */
  behindMs: number | null;
  /** The newest evidence that counted. */
  newest: { source: EvidenceSource; at: string } | null;
  /** null: unknown (no timedatectl). */
  ntp: NtpState | null;
  build: string;
  /** The clock may be set from a tablet now (false while NTP keeps it). */
  canSet: boolean;
}

interface StateFile {
  lastGood?: string;
  overruledUpTo?: string;
}

export interface ClockWatchEvents {
  change: [ClockStatus];
}

const CHECK_EVERY_MS = 30_000;
const SAVE_EVERY_MS = 5 * 60_000;

export class ClockWatch extends EventEmitter<ClockWatchEvents> {
  private readonly mono: () => number;
  private readonly evidence = new Map<EvidenceSource, number>();
  private overruledUpToMs: number | undefined;
  private ntpState: NtpState | null = null;
  /** The last sample taken while no jump was pending. */
  private anchor: ClockSample | undefined;
  private jumpedBackMs: number | undefined;
  private verdict: ClockVerdict;
  /** While suspect: the lower bound of the true time, as (wall, monotonic) at the moment it held. */
  private floor: ClockSample | undefined;
  private lastSaveMono = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<ClockStatus> | undefined;
  private saveWarned = false;

  /** The station's best idea of the time (see the module comment). */
  readonly clock: Clock = {
    now: () => {
      const raw = this.opts.clock.now();
      const f = this.floor;
      if (this.verdict.state === 'trusted' || !f) return raw;
      const bound = f.wallMs + (this.mono() - f.monoMs);
      return bound > raw.getTime() ? new Date(bound) : raw;
    },
  };

  constructor(private readonly opts: ClockWatchOptions) {
    super();
    this.mono = opts.monotonicMs ?? (() => performance.now());
    this.verdict = this.assess(this.sample());
  }

  /** Load the persisted state, check once, then every `checkEveryMs`. */
  async start(): Promise<ClockStatus> {
    await this.load();
    const s = await this.check();
    this.timer = setInterval(
      () => void this.check().catch(() => undefined),
      this.opts.checkEveryMs ?? CHECK_EVERY_MS,
    );
    this.timer.unref();
    return s;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checking?.catch(() => undefined);
    if (this.verdict.state === 'trusted') await this.save(this.opts.clock.now().getTime());
  }

  trusted(): boolean {
    return this.verdict.state === 'trusted';
  }

  status(): ClockStatus {
    const v = this.verdict;
    return {
      state: v.state,
      reason: v.state === 'suspect' ? v.reason : null,
      basis: v.state === 'trusted' ? v.basis : null,
      now: this.opts.clock.now().toISOString(),
      message: v.state === 'suspect' ? v.message : null,
      action: v.state === 'suspect' ? v.action : null,
      behindMs: v.state === 'suspect' ? (v.behindMs ?? null) : null,
      newest: v.newest ? { source: v.newest.source, at: new Date(v.newest.ms).toISOString() } : null,
      ntp: this.ntpState,
      build: new Date(this.opts.buildMs).toISOString(),
      canSet: this.ntpState?.synchronized !== true,
    };
  }

  /** Times a catalogue holds (src/library/catalog/clock-evidence.ts); the newest of each kind is kept. */
  addEvidence(list: readonly ClockEvidence[]): ClockStatus {
    for (const e of list) {
      if (e.source === 'last-good' || !Number.isFinite(e.ms)) continue;
      const had = this.evidence.get(e.source);
      if (had === undefined || e.ms > had) this.evidence.set(e.source, e.ms);
    }
    return this.update(this.assess(this.sample()));
  }

  /** Sample the clock, ask NTP, and decide again. */
  check(): Promise<ClockStatus> {
    this.checking ??= (async () => {
      try {
        this.ntpState = await this.opts.setter.ntp().catch(() => null);
        const sample = this.sample();
        this.trackJump(sample);
        const status = this.update(this.assess(sample));
        if (
          this.verdict.state === 'trusted' &&
          this.mono() - this.lastSaveMono >= (this.opts.saveEveryMs ?? SAVE_EVERY_MS)
        )
          await this.save(sample.wallMs);
        return status;
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  /**
   * Set the station's clock to a person's time (the tablet's), after the checks of
   * `checkProposedTime`: CLOCK_REFUSED says why not (and whether confirming again overrules it).
   */
  async set(proposedMs: number, opts: { overrule?: boolean } = {}): Promise<ClockStatus> {
    this.ntpState = await this.opts.setter.ntp().catch(() => null);
    const ok = checkProposedTime({
      proposedMs,
      buildMs: this.opts.buildMs,
      evidence: this.evidenceList(),
      overruledUpToMs: this.overruledUpToMs,
      ntpSynchronized: this.ntpState?.synchronized,
      ...(opts.overrule ? { overrule: true } : {}),
    });
    if (!ok.ok)
      throw new OutpostError('CLOCK_REFUSED', ok.message, {
        details: { reason: ok.reason, overrulable: ok.overrulable },
      });
    const before = this.opts.clock.now().getTime();
    await this.opts.setter.set(proposedMs);
    this.opts.log.warn(
      {
        from: new Date(before).toISOString(),
        to: new Date(proposedMs).toISOString(),
        overruled: ok.overrules,
      },
      "station's clock set from a tablet",
    );
    if (ok.overrules !== undefined)
      this.overruledUpToMs = Math.max(this.overruledUpToMs ?? Number.NEGATIVE_INFINITY, ok.overrules);
    // Our own step is not a jump; what was said about the time before it no longer holds.
    const sample = this.sample();
    this.anchor = sample;
    this.jumpedBackMs = undefined;
    this.evidence.delete('last-good');
    const status = this.update(this.assess(sample));
    if (this.verdict.state === 'trusted') await this.save(sample.wallMs);
    return status;
  }

  private sample(): ClockSample {
    return { wallMs: this.opts.clock.now().getTime(), monoMs: this.mono() };
  }

  private evidenceList(): ClockEvidence[] {
    return [...this.evidence].map(([source, ms]) => ({ source, ms }));
  }

  /** A backward step since the last anchor is a pending jump until the clock comes back or is set. */
  private trackJump(sample: ClockSample): void {
    if (this.ntpState?.synchronized) {
      this.anchor = sample;
      this.jumpedBackMs = undefined;
      return;
    }
    if (!this.anchor) {
      this.anchor = sample;
      return;
    }
    const step = clockStep(this.anchor, sample);
    if (step < -JUMP_THRESHOLD_MS) {
      if (this.jumpedBackMs === undefined)
        this.opts.log.warn(
          { byMs: -step, now: new Date(sample.wallMs).toISOString() },
          'station clock jumped back',
        );
      this.jumpedBackMs = -step;
      return;
    }
    if (Math.abs(step) > JUMP_THRESHOLD_MS)
      this.opts.log.info(
        { byMs: step, now: new Date(sample.wallMs).toISOString() },
        'station clock stepped forward',
      );
    this.anchor = sample;
    this.jumpedBackMs = undefined;
  }

  private assess(sample: ClockSample): ClockVerdict {
    return assessClock({
      nowMs: sample.wallMs,
      buildMs: this.opts.buildMs,
      evidence: this.evidenceList(),
      overruledUpToMs: this.overruledUpToMs,
      jumpedBackMs: this.jumpedBackMs,
      ntpSynchronized: this.ntpState?.synchronized,
    });
  }

  private update(v: ClockVerdict): ClockStatus {
    const was = this.verdict;
    this.verdict = v;
    if (v.state === 'suspect') {
      // The true time is at least the build, this station's last good time, or where the clock
      // was before a jump. Not the catalogue's times: they may come from another node whose clock
      // was ahead (they hold cards back, they do not move the time); the catalogue's HLC already
      // keeps its ops from stamping below its last stamp.
      const mono = this.mono();
      const fromJump =
        v.reason === 'jumped-back' && this.anchor
          ? this.anchor.wallMs + (mono - this.anchor.monoMs)
          : undefined;
      const bound = Math.max(
        this.opts.buildMs,
        this.evidence.get('last-good') ?? Number.NEGATIVE_INFINITY,
        fromJump ?? Number.NEGATIVE_INFINITY,
      );
      const current = this.floor ? this.floor.wallMs + (mono - this.floor.monoMs) : Number.NEGATIVE_INFINITY;
      if (bound > current) this.floor = { wallMs: bound, monoMs: mono };
    } else this.floor = undefined;
    const status = this.status();
    const changed =
      was.state !== v.state || (was.state === 'suspect' && v.state === 'suspect' && was.reason !== v.reason);
    if (changed) {
      if (v.state === 'suspect')
        this.opts.log.warn({ reason: v.reason, now: status.now, hint: v.action }, v.message);
      else this.opts.log.info({ basis: v.basis, now: status.now }, "station's clock is trusted");
      this.emit('change', status);
    }
    return status;
  }

  private async load(): Promise<void> {
    if (!this.opts.stateFile) return;
    let s: StateFile;
    try {
      s = JSON.parse(await readFile(this.opts.stateFile, 'utf8')) as StateFile;
    } catch {
      return;
    }
    const lastGood = typeof s.lastGood === 'string' ? Date.parse(s.lastGood) : Number.NaN;
    if (Number.isFinite(lastGood)) this.evidence.set('last-good', lastGood);
    const overruled = typeof s.overruledUpTo === 'string' ? Date.parse(s.overruledUpTo) : Number.NaN;
    if (Number.isFinite(overruled)) this.overruledUpToMs = overruled;
  }

  /** Remember `nowMs` as a good time (only ever called while the clock is trusted). */
  private async save(nowMs: number): Promise<void> {
    this.evidence.set('last-good', nowMs);
    this.lastSaveMono = this.mono();
    if (!this.opts.stateFile) return;
    const s: StateFile = {
      lastGood: new Date(nowMs).toISOString(),
      ...(this.overruledUpToMs !== undefined
        ? { overruledUpTo: new Date(this.overruledUpToMs).toISOString() }
        : {}),
    };
    try {
      await mkdir(dirname(this.opts.stateFile), { recursive: true });
      await writeFileAtomic(this.opts.stateFile, `${JSON.stringify(s)}\n`);
    } catch (err) {
      if (this.saveWarned) return;
      this.saveWarned = true;
      this.opts.log.warn(
        { err, hint: 'set station.clock.stateFile to a writable path (the catalogue is still checked)' },
        'the last good time of the clock could not be saved',
      );
    }
  }
}
