import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../../src/adapters/logger.js';
import type { ClockSetter, NtpState } from '../../../src/adapters/system-clock.js';
import { isOutpostError } from '../../../src/core/errors.js';
import { ClockWatch, type ClockStatus } from '../../../src/devices/clock-watch.js';

const DAY = 86_400_000;
const MIN = 60_000;
const TODAY = Date.parse('2026-12-04T09:00:00Z');
const BUILD = Date.parse('2026-09-01T00:00:00Z');

interface Machine {
  wall: number;
  mono: number;
  ntp: NtpState | null;
  sets: number[];
  /** Time passes: both clocks move. */
  pass(ms: number): void;
  clock: { now(): Date };
  setter: ClockSetter;
}

/** A machine: a wall clock the test moves (and the setter sets), a monotonic clock, NTP state. */
function fakeMachine(wallMs: number): Machine {
  const m: Machine = {
    wall: wallMs,
    mono: 1000,
    ntp: null,
    sets: [],
    pass(ms) {
      m.wall += ms;
      m.mono += ms;
    },
    clock: { now: () => new Date(m.wall) },
    setter: {
      set: async (ms: number) => {
        m.sets.push(ms);
        m.wall = ms;
      },
      ntp: async () => m.ntp,
    },
  };
  return m;
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function stateFile(content?: object): string {
  const d = mkdtempSync(join(tmpdir(), 'outpost-clock-'));
  dirs.push(d);
  const f = join(d, 'clock.json');
  if (content) writeFileSync(f, JSON.stringify(content));
  return f;
}

function watch(m: Machine, file?: string): ClockWatch {
  return new ClockWatch({
    clock: m.clock,
    setter: m.setter,
    buildMs: BUILD,
    stateFile: file,
    log: silentLogger,
    monotonicMs: () => m.mono,
    saveEveryMs: 5 * MIN,
  });
}

describe('clock watch', () => {
  it('a station started a week behind the library is suspect; setting it from a tablet fixes it', async () => {
    const m = fakeMachine(TODAY - 7 * DAY);
    const w = watch(m, stateFile());
    const changes: ClockStatus[] = [];
    w.on('change', (s) => changes.push(s));
    assert.equal((await w.start()).state, 'trusted', 'nothing known yet but the build');
    const s = w.addEvidence([{ source: 'catalogue', ms: TODAY - 2 * 60 * MIN }]);
    assert.equal(s.state, 'suspect');
    assert.equal(s.reason, 'behind-evidence');
    assert.equal(s.newest?.source, 'catalogue');
    assert.equal(s.canSet, true);
    assert.deepEqual(
      changes.map((c) => c.state),
      ['suspect'],
    );
    // The catalogue holds cards back but does not move the best idea of the time (another
    // station's clock may have been ahead); the catalogue's own HLC never stamps below its last.
    assert.equal(w.clock.now().getTime(), m.wall);

    const set = await w.set(TODAY);
    assert.deepEqual(m.sets, [TODAY]);
    assert.equal(set.state, 'trusted');
    assert.equal(w.trusted(), true);
    assert.equal(w.clock.now().getTime(), TODAY);
    // Setting the clock is not a jump.
    m.pass(30_000);
    assert.equal((await w.check()).state, 'trusted');
    await w.close();
  });

  it('refuses a tablet time before the build, and one before the evidence unless confirmed again', async () => {
    const m = fakeMachine(TODAY);
    const w = watch(m);
    await w.start();
    w.addEvidence([{ source: 'catalogue', ms: TODAY + 40 * DAY }]);
    assert.equal(w.status().state, 'suspect');
    await assert.rejects(w.set(BUILD - 10 * DAY, { overrule: true }), (e) => {
      assert.ok(isOutpostError(e));
      assert.equal(e.code, 'CLOCK_REFUSED');
      assert.deepEqual(e.details, { reason: 'before-build', overrulable: false });
      return true;
    });
    await assert.rejects(w.set(TODAY), (e) => {
      assert.ok(isOutpostError(e));
      assert.deepEqual(e.details, { reason: 'behind-evidence', overrulable: true });
      return true;
    });
    assert.deepEqual(m.sets, []);
    // Confirmed again: the library's newest item came from a clock that was ahead.
    assert.equal((await w.set(TODAY, { overrule: true })).state, 'trusted');
    assert.deepEqual(m.sets, [TODAY]);
    await w.close();
  });

  it('says so and refuses to set while NTP keeps the clock', async () => {
    const m = fakeMachine(TODAY);
    m.ntp = { active: true, synchronized: true };
    const w = watch(m);
    const s = await w.start();
    assert.equal(s.basis, 'ntp');
    assert.equal(s.canSet, false);
    await assert.rejects(w.set(TODAY + DAY), /NTP/);
  });

  it('detects a jump back while running, and forgets it when the clock comes back', async () => {
    const m = fakeMachine(TODAY);
    const w = watch(m);
    await w.start();
    m.pass(30_000);
    // Set 5 minutes back: within the tolerance of the last good time, but a jump.
    m.wall -= 5 * MIN;
    assert.equal((await w.check()).reason, 'jumped-back');
    // Its best idea of the time continues from before the jump.
    const best = w.clock.now().getTime();
    assert.ok(Math.abs(best - (TODAY + 30_000)) < 1000, new Date(best).toISOString());
    m.pass(30_000);
    assert.equal((await w.check()).reason, 'jumped-back', 'still pending');
    m.wall += 5 * MIN; // NTP or a person stepped it forward again
    assert.equal((await w.check()).state, 'trusted');
    // Hours back: behind the last good time as well, which is said first.
    m.pass(30_000);
    m.wall -= 3 * 60 * MIN;
    assert.equal((await w.check()).reason, 'behind-evidence');
    assert.ok(w.clock.now().getTime() > m.wall + 2 * 60 * MIN);
  });

  it('small steps are not jumps; NTP synchronising clears a pending jump', async () => {
    const m = fakeMachine(TODAY);
    const w = watch(m);
    await w.start();
    m.pass(30_000);
    m.wall -= MIN;
    assert.equal((await w.check()).state, 'trusted');
    m.wall -= 60 * MIN;
    assert.equal((await w.check()).state, 'suspect');
    m.ntp = { active: true, synchronized: true };
    assert.equal((await w.check()).state, 'trusted');
  });

  it('keeps the last good time across restarts (fake-hwclock style) and catches a restore behind it', async () => {
    const file = stateFile();
    const m = fakeMachine(TODAY);
    const w = watch(m, file);
    await w.start();
    m.pass(6 * MIN);
    await w.check();
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { lastGood: string };
    assert.equal(saved.lastGood, new Date(TODAY + 6 * MIN).toISOString());
    m.pass(MIN);
    await w.close();
    assert.equal(
      (JSON.parse(readFileSync(file, 'utf8')) as { lastGood: string }).lastGood,
      new Date(TODAY + 7 * MIN).toISOString(),
    );
    // Power cut; the Pi comes back with the clock fake-hwclock saved an hour before.
    const again = fakeMachine(TODAY - 53 * MIN);
    const w2 = watch(again, file);
    const s = await w2.start();
    assert.equal(s.reason, 'behind-evidence');
    assert.equal(s.newest?.source, 'last-good');
    // Its best idea of the time is not the wrong clock: at least the last good time, moving on.
    assert.equal(w2.clock.now().getTime(), TODAY + 7 * MIN);
    again.pass(MIN);
    assert.equal(w2.clock.now().getTime(), TODAY + 8 * MIN);
    await w2.close();
    // A suspect clock never overwrites the last good time.
    assert.equal(
      (JSON.parse(readFileSync(file, 'utf8')) as { lastGood: string }).lastGood,
      new Date(TODAY + 7 * MIN).toISOString(),
    );
  });

  it('an overruling is remembered: the old evidence does not make the clock suspect after a restart', async () => {
    const file = stateFile();
    const m = fakeMachine(TODAY);
    const w = watch(m, file);
    await w.start();
    const ahead = [{ source: 'catalogue' as const, ms: TODAY + 300 * DAY }];
    w.addEvidence(ahead);
    await w.set(TODAY, { overrule: true });
    await w.close();
    const w2 = watch(fakeMachine(TODAY + MIN), file);
    await w2.start();
    assert.equal(w2.addEvidence(ahead).state, 'trusted');
    await w2.close();
  });

  it('a state file it cannot write is not fatal', async () => {
    const m = fakeMachine(TODAY);
    const notADir = stateFile({});
    const w = watch(m, join(notADir, 'sub', 'clock.json'));
    assert.equal((await w.start()).state, 'trusted');
    m.pass(10 * MIN);
    assert.equal((await w.check()).state, 'trusted');
    await w.close();
  });
});
