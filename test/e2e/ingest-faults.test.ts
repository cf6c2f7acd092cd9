/**
 * Issue 2, section 6 "Faults", for real: the `outpost` CLI as a child process, killed with
 * SIGKILL at random moments; a library on a tmpfs that fills up (and a sweep that makes the
 * ENOSPC strike at every step of storing one file: copy, pending row, commit); a card
 * (loop-mounted ext4 image, or a plain folder) pulled away mid-ingest; two ingests racing for
 * one library; a read-only card. After every fault the library is judged from the outside (file names vs
 * their own hashes, nothing stray, nothing in tmp) and by `fsck --hash`, then a normal run
 * must finish the job without storing anything twice.
 *
 * Needs root (mounts, loop devices). The kill schedule comes from a seeded PRNG; the seed is
 * printed and can be replayed with OUTPOST_FAULT_SEED=<n>.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { json, outpost, spawnOutpost, type CliResult } from '../kit/cli.js';
import { distinctHashes, makeCard, sha256File, type CardFixture } from '../kit/fixtures.js';
import {
  ORIGINAL_NAME_RE,
  auditLibrary,
  duplicatesOf,
  filesBelow,
  sha256Stream,
} from '../kit/library-audit.js';
import {
  CANNOT_MOUNT_MESSAGE,
  bindMount,
  canMount,
  lazyUnmount,
  loopMount,
  makeExt4Image,
  makeTempDir,
  mountTmpfs,
  registerMountCleanup,
} from '../kit/mounts.js';
import type { IngestSummary } from '../../src/ingest/types.js';
import { prng } from '../kit/prng.js';

registerMountCleanup();

const MB = 1024 * 1024;
const SEED = Number(process.env.OUTPOST_FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MIN_KILLS = 15;
const MIN_PLACE_KILLS = 8;

type Summary = IngestSummary;
interface ErrorOut {
  error: { code: string; message: string; hint: string };
}
interface LsRecord {
  id: string;
  path: string;
  type: string;
}
interface CardRecord {
  id: string;
  kind: string;
}

/** A card on disk plus what the library must end up holding for it. */
interface TestCard extends CardFixture {
  /** sha256 of each owning media file → companion ext → sha256 of the companion. */
  companions: Map<string, Map<string, string>>;
  /** Owners whose bytes also appear earlier on the card without companions. */
  sharedOwners: Set<string>;
  /** ext → sha256 of every companion file on the card (any owner). */
  anyCompanion: Map<string, Set<string>>;
}

let work: string;
let template: TestCard;
/** Config files: quiet logs; `tight` also drops the free-space reserve so writes really hit ENOSPC. */
let env: Record<string, string>;
let tightEnv: Record<string, string>;

before(async () => {
  work = await makeTempDir('outpost-faults-');
  const cfg = join(work, 'config.yaml');
  writeFileSync(cfg, 'log:\n  level: warn\n');
  const tight = join(work, 'config-tight.yaml');
  // Small tmpfs drives are "full" by the default health thresholds (< 1 GB free): these tests
  // are about what happens when writes really fail, so only ENOSPC may stop them.
  writeFileSync(
    tight,
    'log:\n  level: warn\ningest:\n  minFreeBytes: 0\ndrives:\n  health:\n    minFreeBytes: 0\n    warnUsedFraction: 0.99\n    fullUsedFraction: 1\n',
  );
  env = { OUTPOST_CONFIG: cfg };
  tightEnv = { OUTPOST_CONFIG: tight };
  const fx = makeCard(join(work, 'template-card'));
  template = { ...fx, ...companionsOf(fx), anyCompanion: anyCompanionOf(fx) };
});

/**
 * The companions makeCard puts on a card, keyed by their owner's hash. IMG_0100.JPG (with a WAV
 * and an XMP) is byte-identical to a corpus photo scanned earlier, so its companions join an
 * item stored from another file: `sharedOwners` lists such owners.
 */
function companionsOf(fx: CardFixture): Pick<TestCard, 'companions' | 'sharedOwners'> {
  const dir = join(fx.root, 'DCIM', '101CAMERA');
  const count = new Map<string, number>();
  for (const m of fx.media) {
    const h = sha256File(join(fx.root, m));
    count.set(h, (count.get(h) ?? 0) + 1);
  }
  const companions = new Map<string, Map<string, string>>();
  const sharedOwners = new Set<string>();
  const add = (owner: string, comps: [string, string][]): void => {
    const h = sha256File(join(dir, owner));
    companions.set(h, new Map(comps.map(([ext, f]) => [ext, sha256File(join(dir, f))])));
    if ((count.get(h) ?? 0) > 1) sharedOwners.add(h);
  };
  add('MVI_0002.AVI', [['thm', 'MVI_0002.THM']]);
  add('IMG_0100.JPG', [
    ['wav', 'IMG_0100.WAV'],
    ['xmp', 'IMG_0100.XMP'],
  ]);
  return { companions, sharedOwners };
}

function anyCompanionOf(fx: CardFixture): Map<string, Set<string>> {
  const dir = join(fx.root, 'DCIM', '101CAMERA');
  const m = new Map<string, Set<string>>();
  for (const f of ['MVI_0002.THM', 'IMG_0100.WAV', 'IMG_0100.XMP']) {
    const ext = f.slice(-3).toLowerCase();
    m.set(ext, (m.get(ext) ?? new Set()).add(sha256File(join(dir, f))));
  }
  return m;
}

/**
 * A fresh copy of the template card (mtimes kept) plus large random files that make copies
 * take measurable time. They are not decodable video: the analyzer warns, the bytes are kept.
 */
function newCard(name: string, bigSizesMB: number[] = []): TestCard {
  const root = join(work, 'cards', name);
  mkdirSync(join(work, 'cards'), { recursive: true });
  execFileSync('cp', ['-a', template.root, root]);
  const media = [...template.media];
  if (bigSizesMB.length) {
    const dir = join(root, 'DCIM', '102CAMERA');
    mkdirSync(dir, { recursive: true });
    bigSizesMB.forEach((size, i) => {
      const rel = `DCIM/102CAMERA/MVI_${String(1001 + i)}.${i % 2 ? 'MP4' : 'MOV'}`;
      writeFileSync(join(root, rel), randomBytes(Math.round(size * MB)));
      media.push(rel);
    });
  }
  const { companions, sharedOwners, anyCompanion } = template;
  return { root, media, companions, sharedOwners, anyCompanion };
}

function cardBytes(card: CardFixture): number {
  return filesBelow(card.root, '').reduce((s, p) => s + statSync(join(card.root, p)).size, 0);
}

async function initDrive(dir: string): Promise<string> {
  const r = await outpost(['init-drive', dir, '--json'], { env });
  assert.equal(r.code, 0, `init-drive ${dir}: ${r.stderr}`);
  return dir;
}

function ingestArgs(cardRoot: string, drive: string): string[] {
  return ['ingest', cardRoot, '--library', drive, '--json', '--no-progress'];
}

function ingest(cardRoot: string, drive: string, e: Record<string, string> = env): Promise<CliResult> {
  return outpost(ingestArgs(cardRoot, drive), { env: e, timeoutMs: 180_000 });
}

function summaryOf(r: CliResult, what: string): Summary {
  const s = json<Summary>(r);
  assert.equal(typeof s.copied, 'number', `${what}: not an ingest summary:\n${r.stdout}\n${r.stderr}`);
  return s;
}

function firstLine(r: CliResult): string {
  return (r.stderr.split('\n').find((l) => l.startsWith('error')) ?? r.stderr.slice(0, 200)).trim();
}

function show(r: CliResult): string {
  return `exit ${r.code} signal ${r.signal}\nstdout: ${r.stdout.slice(0, 3000)}\nstderr: ${r.stderr.slice(0, 3000)}`;
}

/** A running CLI child whose output is collected; `exit` resolves on process exit, not pipe close. */
interface Running {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  result(): Promise<CliResult>;
}

function start(args: string[], e: Record<string, string> = env): Running {
  const child = spawnOutpost(args, e);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // A hung ingest must fail the test, not hang it.
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 180_000);
  void exit.finally(() => clearTimeout(watchdog));
  return {
    child,
    exit,
    result: async () => {
      const { code, signal } = await exit;
      // A killed process's grandchildren could hold the pipes; do not wait for them forever.
      await Promise.race([closed, sleep(5000)]);
      return { code, signal, stdout, stderr };
    },
  };
}

async function waitFor(
  what: string,
  cond: () => boolean,
  opts: { timeoutMs?: number; while?: () => boolean } = {},
) {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (cond()) return;
    if (opts.while && !opts.while()) throw new Error(`gave up waiting for ${what}: the process ended first`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(3);
  }
}

function hasOriginal(drive: string): boolean {
  return countOriginals(drive) > 0;
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

/**
 * Judge a library from the outside. Always: every original carries its own hash in its name,
 * nothing stray in library/, tmp empty, no hash stored twice, companions intact, beside the
 * right original and complete once their original is stored, `fsck --hash` clean, `ls --json` one record per stored hash. With
 * `complete`, the stored hashes must be exactly the card's distinct hashes (and every
 * companion present); otherwise a subset.
 */
async function assertLibraryIntact(
  drive: string,
  card: TestCard,
  opts: { complete: boolean; what: string; cli?: 'all' | 'fsck' | 'none' },
): Promise<{ stored: number }> {
  const { what } = opts;
  const a = await auditLibrary(drive);
  assert.deepEqual(
    a.misnamed,
    [],
    `${what}: originals whose bytes do not match their name (partial/corrupt)`,
  );
  assert.deepEqual(a.stray, [], `${what}: stray files in library/`);
  assert.deepEqual(a.tmp, [], `${what}: .outpost/tmp not empty`);
  assert.deepEqual(duplicatesOf(a), [], `${what}: content stored more than once`);
  const want = distinctHashes(card);
  const got = new Set(a.originals.keys());
  if (opts.complete)
    assert.deepEqual(sorted(got), sorted(want), `${what}: library must hold every distinct hash`);
  else
    for (const h of got) assert.ok(want.has(h), `${what}: ${a.originals.get(h)?.[0]} is not from the card`);

  const ownerHash = new Map([...a.originals].map(([h, paths]) => [paths[0]!, h]));
  const seen = new Set<string>();
  for (const c of a.companions) {
    const owner = ownerHash.get(c.owner);
    const ext = c.path.slice(c.path.lastIndexOf('.') + 1);
    const expected = owner ? card.companions.get(owner)?.get(ext) : undefined;
    if (expected)
      assert.equal(c.sha256, expected, `${what}: companion ${c.path} is not its original's ${ext}`);
    else
      assert.ok(
        card.anyCompanion.get(ext)?.has(c.sha256),
        `${what}: companion ${c.path} is not from the card`,
      );
    seen.add(`${owner}.${ext}`);
  }
  for (const [owner, exts] of card.companions) {
    // The item may be stored from an earlier identical file before this one was reached.
    if (!got.has(owner) || (!opts.complete && card.sharedOwners.has(owner))) continue;
    for (const ext of exts.keys())
      assert.ok(seen.has(`${owner}.${ext}`), `${what}: ${ext} companion missing`);
  }

  const cli = opts.cli ?? 'all';
  if (cli === 'none') return { stored: got.size };
  const fsck = await outpost(['fsck', '--library', drive, '--hash', '--json'], { env });
  assert.equal(fsck.code, 0, `${what}: fsck --hash must be clean\n${show(fsck)}`);
  if (cli === 'fsck') return { stored: got.size };
  const ls = await outpost(['ls', '--library', drive, '--json'], { env });
  assert.equal(ls.code, 0, `${what}: ls\n${show(ls)}`);
  const recs = json<LsRecord[]>(ls);
  assert.deepEqual(
    sorted(recs.map((r) => r.id)),
    sorted(got),
    `${what}: ls --json: one record per stored hash`,
  );
  for (const r of recs) assert.deepEqual(a.originals.get(r.id), [r.path], `${what}: ls path of ${r.id}`);
  return { stored: got.size };
}

describe('ingest faults (issue 2 §6)', { concurrency: false }, () => {
  it('survives kill -9 at random moments, many times, then completes with no duplicates', async (t: TestContext) => {
    t.diagnostic(`seed ${SEED} (replay with OUTPOST_FAULT_SEED=${SEED})`);
    const card = newCard('kill', [24, 32, 40, 28]);
    t.diagnostic(`card: ${card.media.length} media files, ${(cardBytes(card) / MB).toFixed(0)} MB`);

    // How long a whole run takes here, so kill times spread over all of it.
    const cal = await initDrive(join(work, 'kill-calibration'));
    const t0 = performance.now();
    const calRun = await ingest(card.root, cal);
    const fullMs = performance.now() - t0;
    assert.equal(calRun.code, 0, show(calRun));
    await rm(cal, { recursive: true, force: true });
    t.diagnostic(`a full uninterrupted run takes ${fullMs.toFixed(0)} ms`);

    // Two kinds of kill: at a random time over the whole run, and right after the n-th new
    // original lands in library/ (plus a few ms), which aims at the narrow place → commit window.
    const rnd = prng(SEED);
    let epoch = 0;
    let drive = await initDrive(join(work, `kill-drive-${epoch}`));
    const killed = { timed: 0, onPlace: 0, copyInFlight: 0, pending: 0, staleLock: 0 };
    let lastKillLeftStaleLock = false;
    const log: string[] = [];
    for (let attempt = 0; ; attempt++) {
      const enough = killed.timed >= MIN_KILLS && killed.onPlace >= MIN_PLACE_KILLS;
      if (enough && lastKillLeftStaleLock) break;
      assert.ok(attempt < 120, `too many attempts (${attempt}) to get the kills wanted; seed ${SEED}`);
      const timed = killed.onPlace >= MIN_PLACE_KILLS || (killed.timed < MIN_KILLS && attempt % 3 !== 2);
      const delay = Math.round(20 + rnd() * Math.max(0, fullMs - 20));
      const nth = 1 + Math.floor(rnd() * 3);
      const jitter = Math.floor(rnd() * 6);
      const plan = timed ? `t=${delay}ms` : `placed#${nth}+${jitter}ms`;
      const before = countOriginals(drive);
      const run = start(ingestArgs(card.root, drive));
      let alive = true;
      void run.exit.then(() => (alive = false));
      let timer: NodeJS.Timeout | undefined;
      if (timed) timer = setTimeout(() => run.child.kill('SIGKILL'), delay);
      else {
        await waitFor('new originals', () => countOriginals(drive) >= before + nth, {
          while: () => alive,
        }).then(
          async () => {
            if (jitter) await sleep(jitter);
            run.child.kill('SIGKILL');
          },
          () => undefined, // the run ended before: handled below
        );
      }
      const r = await run.result();
      clearTimeout(timer);
      if (r.signal === 'SIGKILL') {
        if (timed) killed.timed++;
        else killed.onPlace++;
        const what = `after kill ${plan} (attempt ${attempt}, seed ${SEED})`;
        // The lock itself is an OS lock (gone with the process); its note `lock.json` stays
        // behind when the holder is killed, which the next run detects as "previous run died".
        const lockFile = join(drive, '.outpost', 'lock.json');
        lastKillLeftStaleLock = false;
        if (existsSync(lockFile)) {
          const holder = lockHolder(lockFile);
          if (holder === undefined || holder === run.child.pid) {
            killed.staleLock++;
            lastKillLeftStaleLock = true;
          }
        }
        if (readdirSync(join(drive, '.outpost', 'tmp')).length > 0) killed.copyInFlight++;
        const pending = pendingRows(drive);
        if (pending > 0) killed.pending++;
        log.push(`${plan}${pending ? ' [pending]' : ''}`);
        // Even right after a crash, whatever sits in library/ is whole: placed only after a full copy.
        const a = await auditLibrary(drive);
        assert.deepEqual(a.misnamed, [], `${what}: partial file in library/`);
        assert.deepEqual(a.stray, [], `${what}: stray file in library/`);
        assert.deepEqual(duplicatesOf(a), [], `${what}: duplicate`);
      } else {
        // Finished before the kill came: must be a clean run, then start over on a fresh drive
        // so later kills land in the middle of copying again.
        assert.equal(
          r.code,
          0,
          `run ${attempt} (${plan}) after ${log.length} kills (seed ${SEED}):\n${show(r)}`,
        );
        const s = summaryOf(r, 'natural end');
        assert.equal(s.error, undefined);
        log.push(`${plan}: finished`);
        lastKillLeftStaleLock = false;
        await assertLibraryIntact(drive, card, {
          complete: true,
          what: `epoch ${epoch} (seed ${SEED})`,
          cli: 'fsck',
        });
        await rm(drive, { recursive: true, force: true });
        epoch++;
        drive = await initDrive(join(work, `kill-drive-${epoch}`));
      }
    }
    t.diagnostic(`runs: ${log.join(', ')}`);
    t.diagnostic(
      `${killed.timed} timed + ${killed.onPlace} on-place kills over ${epoch + 1} libraries; ` +
        `${killed.copyInFlight} left a copy in tmp, ${killed.pending} a pending item, ` +
        `${killed.staleLock} a stale lock`,
    );
    assert.ok(
      killed.copyInFlight >= 1,
      `no kill landed in the middle of a copy (seed ${SEED}): not a real test`,
    );

    // The last kill left a stale lock note (its pid is dead): the normal run must take over.
    const lockFile = join(drive, '.outpost', 'lock.json');
    assert.ok(existsSync(lockFile), 'the last kill left its lock file behind');
    const final = await ingest(card.root, drive);
    assert.equal(final.code, 0, `final normal run (seed ${SEED}):\n${show(final)}`);
    const s = summaryOf(final, 'final run');
    assert.equal(s.error, undefined);
    assert.equal(s.notCopied, 0);
    assert.ok(!existsSync(lockFile), 'lock released after the run');
    // Not part of the contract (derived/ is not library/), but worth knowing: half-written
    // derivatives of killed runs that nobody cleans up.
    const derivedLeftovers = filesBelow(join(drive, '.outpost', 'derived'), '').filter((p) =>
      /(^|\/)\.[^/]*\.tmp$/.test(p),
    );
    t.diagnostic(`temporary files left in .outpost/derived: ${derivedLeftovers.length}`);
    await assertLibraryIntact(drive, card, {
      complete: true,
      what: `after ${log.length} runs (seed ${SEED})`,
    });
  });

  it('stops cleanly when the library drive fills up, and resumes once there is space', async (t) => {
    assert.ok(await canMount(), CANNOT_MOUNT_MESSAGE);
    const card = newCard('full', [10, 10, 10]);
    const size = cardBytes(card);
    t.diagnostic(`card ${(size / MB).toFixed(1)} MB onto a 12 MB tmpfs`);
    const mp = join(work, 'full-drive');
    await mountTmpfs(mp, 12 * MB);
    const drive = await initDrive(mp);

    // No free-space reserve: the copies run into a real ENOSPC.
    const r = await ingest(card.root, drive, tightEnv);
    assert.equal(r.code, 3, show(r));
    const s = summaryOf(r, 'drive full');
    assert.equal(s.error?.code, 'DRIVE_FULL', show(r));
    assert.match(s.error.message, /drive full: \d+ files not copied/);
    assert.equal(Number(/drive full: (\d+) files/.exec(s.error.message)?.[1]), s.notCopied);
    assert.ok(s.notCopied > 0, 'some files were not copied');
    assert.equal(s.copied + s.duplicates + s.notCopied, card.media.length, JSON.stringify(s));
    assert.match(r.stderr, /what to do: .*free space/i);
    const partial = await assertLibraryIntact(drive, card, { complete: false, what: 'drive full' });
    assert.equal(partial.stored, s.copied);
    t.diagnostic(`drive full after ${s.copied} copied, ${s.notCopied} not copied`);

    // Plug the card in again while the drive is still full: the same clear error, nothing
    // touched. (Checked at the end, so the resume below is exercised whatever happens here.)
    const whileFull = await ingest(card.root, drive);
    const freeWhileFull = statfsSync(mp).bavail;

    execFileSync('mount', ['-o', 'remount,size=200m', mp]);
    // (A 200 MB drive is still "full" by the default thresholds: < 1 GB free.)
    const r2 = await ingest(card.root, drive, tightEnv);
    assert.equal(r2.code, 0, show(r2));
    const s2 = summaryOf(r2, 'after freeing space');
    assert.equal(s2.error, undefined);
    assert.equal(s2.skipped, s.copied + s.duplicates, 'what was copied before is not read again');
    assert.equal(s2.copied, distinctHashes(card).size - s.copied);
    await assertLibraryIntact(drive, card, { complete: true, what: 'after freeing space' });

    t.diagnostic(
      `second run on the full drive (${freeWhileFull} blocks free): ${firstLine(whileFull) || 'ok'}`,
    );
    assert.equal(whileFull.code, 3, `ingest on a drive that is still full:\n${show(whileFull)}`);
    // Either a summary with `error`, or (refused before starting) just `{ error }`.
    assert.equal(json<Partial<ErrorOut>>(whileFull).error?.code, 'DRIVE_FULL', show(whileFull));
    assert.match(whileFull.stderr, /what to do: .*free space/i);
  });

  it('drive full at every step of storing a file: always DRIVE_FULL (exit 3) or done, never a crash', async (t) => {
    assert.ok(await canMount(), CANNOT_MOUNT_MESSAGE);
    // Each round adds one new file to the card and fills the drive (with an unrelated file
    // beside the library) so that only `slack` pages are left once that file fits. As the slack
    // grows, the ENOSPC moves from the copy to the catalogue's pending row, to its commit, and
    // then the run succeeds. Every outcome must be DRIVE_FULL or success, the library intact.
    const root = join(work, 'cards', 'sweep');
    const dir = join(root, 'DCIM', '100CAMERA');
    mkdirSync(dir, { recursive: true });
    const card: TestCard = {
      root,
      media: [],
      companions: new Map(),
      sharedOwners: new Set(),
      anyCompanion: new Map(),
    };
    const mp = join(work, 'sweep-drive');
    await mountTmpfs(mp, 40 * MB);
    const drive = await initDrive(mp);
    const FILE = 1_000_000;
    const outcomes: string[] = [];
    // Below ~9 pages the copy itself fails, above ~33 everything fits (with today's catalogue);
    // in between, every other page, so a window a few pages wide cannot be stepped over.
    const slacks = [0, ...Array.from({ length: 13 }, (_, i) => 9 + 2 * i), 48];
    for (const slackPages of slacks) {
      const rel = `DCIM/100CAMERA/IMG_${String(slackPages).padStart(4, '0')}.JPG`;
      writeFileSync(join(root, rel), randomBytes(FILE));
      card.media.push(rel);
      const st = statfsSync(mp);
      const filler = join(mp, 'filler');
      writeFileSync(filler, Buffer.alloc(st.bavail * st.bsize - FILE - slackPages * 4096));
      const r = await ingest(root, drive, tightEnv);
      // A summary, or `{ error }` alone when the run is refused before it starts.
      const s = r.code === 0 || r.code === 3 ? json<Partial<Summary>>(r) : undefined;
      outcomes.push(`${slackPages}: exit ${r.code} ${s ? (s.error?.code ?? 'ok') : firstLine(r)}`);
      if (r.code === 3) {
        assert.equal(s?.error?.code, 'DRIVE_FULL', show(r));
        if (s.copied !== undefined) assert.match(s.error.message, /drive full: 1 files not copied/);
      }
      const what = `slack ${slackPages} pages`;
      await rm(filler);
      if (r.code === 0) {
        await assertLibraryIntact(drive, card, { complete: true, what, cli: 'none' });
        continue;
      }
      await assertLibraryIntact(drive, card, { complete: false, what, cli: 'fsck' });
      const r2 = await ingest(root, drive, tightEnv);
      assert.equal(r2.code, 0, `${what}, after freeing space: ${show(r2)}`);
      await assertLibraryIntact(drive, card, { complete: true, what: `${what}, re-run`, cli: 'none' });
    }
    await assertLibraryIntact(drive, card, { complete: true, what: 'after the sweep' });
    t.diagnostic(outcomes.join('; '));
    const bad = outcomes.filter((o) => !/exit (0 ok|3 DRIVE_FULL)$/.test(o));
    assert.deepEqual(
      bad,
      [],
      'a full drive must be reported as DRIVE_FULL (exit 3), not as an internal error',
    );
  });

  it('card unmounted mid-ingest: clear error, copies intact, the same card resumes', async (t) => {
    assert.ok(await canMount(), CANNOT_MOUNT_MESSAGE);
    const src = newCard('pull-src', [24, 24, 24]);
    const uuid = randomUUID();
    const { imagePath } = await makeExt4Image({
      sizeMB: Math.ceil(cardBytes(src) / MB) + 48,
      uuid,
      label: 'PULLME',
      fromDir: src.root,
    });
    const mp = join(work, 'mnt-pull');
    await loopMount(imagePath, mp);
    // Expected content is read from the folder the image was made from: the mount goes away.
    const card = src;
    const drive = await initDrive(join(work, 'pull-drive'));

    const run = start(ingestArgs(mp, drive));
    let alive = true;
    void run.exit.then(() => (alive = false));
    await waitFor('the first original in the library', () => hasOriginal(drive), { while: () => alive });
    await lazyUnmount(mp);
    const r = await run.result();
    assert.equal(r.code, 3, show(r));
    const s = summaryOf(r, 'card removed');
    assert.equal(s.error?.code, 'CARD_REMOVED', show(r));
    assert.match(s.error.message, /card removed during ingest: \d+ files not copied/);
    assert.match(r.stderr, /what to do: .*insert the card again/i);
    assert.ok(s.copied >= 1 && s.notCopied > 0, JSON.stringify(s));
    assert.equal(s.card.id, `uuid:${uuid}`);
    const vanished = s.warnings.filter((w) => w.code === 'VANISHED' || w.code === 'UNREADABLE');
    assert.deepEqual(vanished, [], 'a pulled card is one error, not a warning per file');
    assert.equal(s.copied + s.duplicates + s.notCopied, card.media.length, JSON.stringify(s));
    const partial = await assertLibraryIntact(drive, card, { complete: false, what: 'card pulled' });
    assert.equal(partial.stored, s.copied);
    t.diagnostic(`pulled after ${s.copied} copied, ${s.notCopied} not copied`);

    // Insert the card again (a new loop device, same filesystem UUID).
    await waitFor('the old loop device to go', () => !loopAttached(imagePath), { timeoutMs: 10_000 }).catch(
      () => undefined,
    );
    await loopMount(imagePath, mp);
    const r2 = await ingest(mp, drive);
    assert.equal(r2.code, 0, show(r2));
    const s2 = summaryOf(r2, 'resumed');
    assert.equal(s2.card.id, `uuid:${uuid}`);
    assert.equal(s2.skipped, s.copied + s.duplicates, 'files copied before the pull are not read again');
    assert.equal(s2.copied, distinctHashes(card).size - s.copied);
    await assertLibraryIntact(drive, card, { complete: true, what: 'card re-inserted' });
    const cards = json<CardRecord[]>(await outpost(['cards', 'list', '--library', drive, '--json'], { env }));
    assert.deepEqual(
      cards.map((c) => [c.id, c.kind]),
      [[`uuid:${uuid}`, 'fs-uuid']],
    );
  });

  it('card folder renamed away mid-ingest: clear error, re-run from the new place resumes', async (t) => {
    const card = newCard('moving', [24, 24, 24]);
    const want = distinctHashes(card);
    const drive = await initDrive(join(work, 'move-drive'));
    const run = start(ingestArgs(card.root, drive));
    let alive = true;
    void run.exit.then(() => (alive = false));
    await waitFor('the first original in the library', () => hasOriginal(drive), { while: () => alive });
    const moved = `${card.root}-moved`;
    renameSync(card.root, moved);
    const r = await run.result();
    // The card root no longer resolves: ingest treats that as the card gone (one error), not a
    // string of per-file VANISHED warnings.
    assert.equal(r.code, 3, show(r));
    const s = summaryOf(r, 'folder moved');
    assert.equal(s.error?.code, 'CARD_REMOVED', show(r));
    assert.ok(s.notCopied > 0 && s.copied >= 1, JSON.stringify(s));
    assert.equal(s.card.kind, 'id-file');
    assert.deepEqual(
      s.warnings.filter((w) => w.code === 'VANISHED'),
      [],
    );
    assert.match(r.stderr, /what to do: .*insert the card again/i);
    const movedCard: TestCard = { ...card, root: moved };
    assert.deepEqual(distinctHashes(movedCard), want);
    await assertLibraryIntact(drive, movedCard, { complete: false, what: 'folder moved' });
    t.diagnostic(`moved after ${s.copied} copied, ${s.notCopied} not copied`);

    const r2 = await ingest(moved, drive);
    assert.equal(r2.code, 0, show(r2));
    const s2 = summaryOf(r2, 'from the new place');
    assert.equal(s2.card.id, s.card.id, 'the id file travelled with the folder');
    assert.equal(s2.skipped, s.copied + s.duplicates);
    assert.equal(s2.copied, want.size - s.copied);
    await assertLibraryIntact(drive, movedCard, { complete: true, what: 'folder re-ingested' });
  });

  it('a second ingest on a busy library is refused with LIBRARY_LOCKED (exit 4)', async (t) => {
    const cardA = newCard('lock-a', [40, 40, 40]);
    const cardB = newCard('lock-b');
    const drive = await initDrive(join(work, 'lock-drive'));
    const lockFile = join(drive, '.outpost', 'lock.json');
    const a = start(ingestArgs(cardA.root, drive));
    let alive = true;
    void a.exit.then(() => (alive = false));
    await waitFor(
      'ingest A to take the lock',
      () => existsSync(lockFile) && readFileSync(lockFile, 'utf8') !== '',
      {
        while: () => alive,
      },
    );
    const b = await ingest(cardB.root, drive);
    assert.ok(alive, 'ingest A finished before B asked for the lock: make card A bigger');
    assert.equal(b.code, 4, show(b));
    const err = json<ErrorOut>(b).error;
    assert.equal(err.code, 'LIBRARY_LOCKED');
    assert.match(err.message, new RegExp(`busy: ingest of .* by pid ${a.child.pid}\\b`));
    assert.match(b.stderr, /what to do: .*wait for it/i);
    const ra = await a.result();
    assert.equal(ra.code, 0, show(ra));
    t.diagnostic(`A (${a.child.pid}) held the lock; B was refused: ${err.message}`);

    // Once A is done B goes through, and B's files that A already stored are only sightings.
    const rb = await ingest(cardB.root, drive);
    assert.equal(rb.code, 0, show(rb));
    assert.equal(summaryOf(rb, 'B after A').copied, 0);
    await assertLibraryIntact(drive, cardA, { complete: true, what: 'after A then B' });
  });

  it('a read-only card is ingested and never written to', async (t) => {
    assert.ok(await canMount(), CANNOT_MOUNT_MESSAGE);

    // (a) read-only bind mount of a folder: no filesystem UUID of its own, no id file can be
    // written, so the card is known by its file list.
    const card = newCard('ro');
    const before = snapshot(card.root);
    const mp = join(work, 'mnt-ro');
    const m = await bindMount(card.root, mp, { readOnly: true });
    assert.throws(() => writeFileSync(join(mp, 'probe'), 'x'), /EROFS/, 'the bind mount is really read-only');
    const roCard: TestCard = { ...card, root: mp };
    const drive = await initDrive(join(work, 'ro-drive'));
    const r = await ingest(mp, drive);
    assert.equal(r.code, 0, show(r));
    const s = summaryOf(r, 'read-only card');
    assert.equal(s.card.kind, 'file-list');
    assert.match(s.card.id, /^list:[0-9a-f]{16}$/);
    assert.equal(s.error, undefined);
    await assertLibraryIntact(drive, roCard, { complete: true, what: 'read-only card' });
    const again = summaryOf(await ingest(mp, drive), 'read-only card again');
    assert.equal(again.card.id, s.card.id, 'the file-list id is stable');
    assert.equal(again.skipped, card.media.length, 'the second run recognises every file from the ledger');
    assert.equal(again.copied, 0);
    await m.unmount();
    assert.deepEqual(snapshot(card.root), before, 'nothing on the card changed');
    assert.ok(!existsSync(join(card.root, '.outpost-card.json')));

    // (b) `-o ro` loop mount of an ext4 card: known by its filesystem UUID; the image is untouched.
    const uuid = randomUUID();
    const { imagePath } = await makeExt4Image({ sizeMB: 64, uuid, label: 'ROCARD', fromDir: card.root });
    const imageHash = await sha256Stream(imagePath);
    const mp2 = join(work, 'mnt-ro-loop');
    const m2 = await loopMount(imagePath, mp2, { readOnly: true });
    const drive2 = await initDrive(join(work, 'ro-drive-2'));
    const r2 = await ingest(mp2, drive2);
    assert.equal(r2.code, 0, show(r2));
    const s2 = summaryOf(r2, 'ro loop card');
    assert.equal(s2.card.id, `uuid:${uuid}`);
    assert.equal(s2.card.kind, 'fs-uuid');
    await assertLibraryIntact(drive2, { ...card, root: mp2 }, { complete: true, what: 'ro loop card' });
    await m2.unmount();
    assert.equal(await sha256Stream(imagePath), imageHash, 'the card image was not written');
    t.diagnostic(`bind-mounted card ${s.card.id}, loop card ${s2.card.id}`);
  });
});

/** Path → size, mtime and hash of every file below a card root. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of filesBelow(root, '')) {
    const st = statSync(join(root, p));
    out[p] = `${st.size} ${st.mtimeMs} ${sha256File(join(root, p))}`;
  }
  return out;
}

/** Whether a loop device still has this image attached. */
function loopAttached(imagePath: string): boolean {
  const out = execFileSync('losetup', ['-j', imagePath], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim()).length > 0;
}

/** The pid in a lock file; undefined when the file is empty or torn. */
function lockHolder(lockFile: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(lockFile, 'utf8')) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

function countOriginals(drive: string): number {
  const lib = join(drive, 'library');
  if (!existsSync(lib)) return 0;
  return (readdirSync(lib, { recursive: true }) as string[]).filter((p) =>
    ORIGINAL_NAME_RE.test(p.slice(p.lastIndexOf('/') + 1)),
  ).length;
}

/** Items a killed run left half-done (read-only look at the catalogue). */
function pendingRows(drive: string): number {
  const db = new Database(join(drive, '.outpost', 'catalog.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("select count(*) as n from items where state = 'pending'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}
