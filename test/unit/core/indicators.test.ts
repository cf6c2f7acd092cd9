import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  IDLE_STATION,
  INDICATORS,
  LOOKS,
  indicatorViews,
  looksOf,
  type BackupState,
  type CardState,
  type DriveState,
  type Indicator,
  type Look,
  type StationState,
  type UplinkState,
} from '../../../src/core/indicators.js';

type Row = [Indicator, Partial<StationState>, Look, RegExp];
const card = (c: CardState): Partial<StationState> => ({ card: c });
const a = (d: DriveState): Partial<StationState> => ({ driveA: d });
const b = (d: DriveState): Partial<StationState> => ({ driveB: d });
const backup = (s: BackupState): Partial<StationState> => ({ backup: s });
const uplink = (s: UplinkState): Partial<StationState> => ({ uplink: s });
const ok = { kind: 'present', health: 'ok' } as const;

/** Every row of docs/indicators.md, in the same order. */
const ROWS: Row[] = [
  ['CARD', card({ kind: 'none' }), 'off', /no card/],
  ['CARD', card({ kind: 'unrecognised', detail: 'no DCIM folder' }), 'off', /not recognised: no DCIM/],
  ['CARD', card({ kind: 'reading', filesDone: 3, filesTotal: 10 }), 'green', /3 of 10 files.*leave it in/],
  ['CARD', card({ kind: 'done', filesCopied: 42 }), 'green-flash', /42 new files.*remove it/],
  ['CARD', card({ kind: 'unmounting', filesCopied: 42 }), 'green', /42 new files.*unmounting.*leave it in/],
  [
    'CARD',
    card({ kind: 'unmount-failed', detail: 'used by bash (pid 12)' }),
    'red-flash',
    /still in use \(used by bash \(pid 12\)\): not safe to remove/,
  ],
  ['CARD', card({ kind: 'ejected-not-copied' }), 'off', /unmounted without copying; you can remove it/],
  ['CARD', card({ kind: 'read-error', detail: 'EIO' }), 'red-flash', /read error: EIO/],
  ['CARD', card({ kind: 'removed-early' }), 'red-flash', /insert it again to resume/],
  ['CARD', card({ kind: 'waiting-for-drive' }), 'red-flash', /no library drive/],
  ['CARD', card({ kind: 'waiting-for-clock' }), 'red-flash', /clock looks wrong; set it from a tablet/],
  ['CARD', card({ kind: 'refused-drive-full' }), 'red-flash', /drive is full/],
  ['CARD', card({ kind: 'refused-drive-error', detail: 'EROFS' }), 'red-flash', /failed a write \(EROFS\)/],

  ['DRIVE_A', a({ kind: 'absent' }), 'red-flash', /no library drive; plug one in/],
  [
    'DRIVE_A',
    a({ kind: 'not-a-library', label: 'KINGSTON' }),
    'red-flash',
    /"KINGSTON" is not an Outpost library.*init-drive/,
  ],
  ['DRIVE_A', a({ kind: 'ejecting', label: 'field-1' }), 'green', /drive A "field-1": flushing.*leave it in/],
  ['DRIVE_A', a({ kind: 'ejected' }), 'green-flash', /drive A is unmounted; you can remove it/],
  [
    'DRIVE_A',
    a({ kind: 'unmount-failed', detail: 'used by sqlite3 (pid 9)' }),
    'red-flash',
    /still in use \(used by sqlite3 \(pid 9\)\): not safe to remove/,
  ],
  [
    'DRIVE_A',
    a({ kind: 'pulled', during: 'an ingest' }),
    'red-flash',
    /unplugged without eject during an ingest; plug it back in/,
  ],
  ['DRIVE_A', a({ ...ok, writeError: 'EIO', health: 'full' }), 'red-flash', /failed a write: EIO/],
  [
    'DRIVE_A',
    a({ ...ok, health: 'full', healthDetail: '99 % used' }),
    'red-flash',
    /full \(99 % used\); ingest and recording stopped/,
  ],
  ['DRIVE_A', a({ ...ok, health: 'nearly-full', activity: 'writing' }), 'red', /nearly full/],
  ['DRIVE_A', a({ ...ok, activity: 'safe-to-remove' }), 'green-flash', /you can remove it/],
  ['DRIVE_A', a({ ...ok, activity: 'initialising' }), 'green', /checking the library/],
  ['DRIVE_A', a({ ...ok, activity: 'writing' }), 'green', /writing/],
  ['DRIVE_A', a({ ...ok, activity: 'mirroring' }), 'green', /mirroring/],
  [
    'DRIVE_A',
    a({ ...ok, label: 'field-1', healthDetail: '40 % used' }),
    'green',
    /drive A "field-1" OK \(40 % used\)/,
  ],

  ['DRIVE_B', b({ kind: 'absent' }), 'off', /no second drive/],
  ['DRIVE_B', b({ kind: 'not-a-library' }), 'off', /not an Outpost library \(not used\)/],
  ['DRIVE_B', b({ kind: 'ejecting' }), 'green', /drive B: flushing and unmounting/],
  [
    'DRIVE_B',
    b({ kind: 'ejected', label: 'B' }),
    'green-flash',
    /drive B "B" is unmounted; you can remove it/,
  ],
  ['DRIVE_B', b({ kind: 'unmount-failed' }), 'red-flash', /drive B is still in use: not safe to remove/],
  ['DRIVE_B', b({ kind: 'pulled', during: 'the mirror' }), 'red-flash', /during the mirror/],
  ['DRIVE_B', b({ ...ok, writeError: 'EIO' }), 'red-flash', /drive B failed a write/],
  ['DRIVE_B', b({ ...ok, health: 'full', activity: 'mirroring' }), 'red-flash', /drive B is full/],
  [
    'DRIVE_B',
    b({ ...ok, health: 'nearly-full', activity: 'safe-to-remove' }),
    'red',
    /drive B is nearly full/,
  ],
  ['DRIVE_B', b({ ...ok, activity: 'safe-to-remove' }), 'green-flash', /up to date; you can remove it/],
  ['DRIVE_B', b({ ...ok, activity: 'initialising' }), 'green', /checking/],
  ['DRIVE_B', b({ ...ok, activity: 'writing' }), 'green', /writing/],
  ['DRIVE_B', b({ ...ok, activity: 'mirroring' }), 'green', /mirroring/],
  ['DRIVE_B', b({ ...ok }), 'green', /drive B OK/],

  ['BACKUP', backup({ kind: 'none' }), 'off', /no second drive paired/],
  ['BACKUP', backup({ kind: 'pending' }), 'green', /will start/],
  [
    'BACKUP',
    backup({ kind: 'in-progress', bytesDone: 1, bytesTotal: 4 }),
    'green',
    /\(25 %\); leave both drives in/,
  ],
  ['BACKUP', backup({ kind: 'safe-to-remove' }), 'green-flash', /remove the second drive/],
  ['BACKUP', backup({ kind: 'behind', itemsNotMirrored: 12 }), 'red', /12 items are on one drive only/],
  [
    'BACKUP',
    backup({ kind: 'failed', detail: 'hash mismatch' }),
    'red-flash',
    /backup failed: hash mismatch/,
  ],
  ['BACKUP', backup({ kind: 'scrub-unrepaired', files: 2 }), 'red-flash', /2 damaged file\(s\)/],

  ['UPLINK', uplink({ kind: 'not-configured' }), 'off', /no HQ configured/],
  ['UPLINK', uplink({ kind: 'idle-all-sent', lastContact: '10:42' }), 'green', /everything sent.*10:42/],
  ['UPLINK', uplink({ kind: 'sending', bytesQueued: 2_500_000 }), 'green', /sending to HQ; 2\.5 MB waiting/],
  [
    'UPLINK',
    uplink({ kind: 'off-by-timetable', resumesAt: '08:00' }),
    'green',
    /paused by the timetable until 08:00/,
  ],
  [
    'UPLINK',
    uplink({ kind: 'offline', since: '09:10', bytesQueued: 3e9 }),
    'red',
    /offline since 09:10; 3\.0 GB waiting/,
  ],
  ['UPLINK', uplink({ kind: 'hq-error', detail: 'HTTP 507' }), 'red', /HTTP 507/],
  ['UPLINK', uplink({ kind: 'auth-failed' }), 'red-flash', /pair it again/],
  ['UPLINK', uplink({ kind: 'backlog-near-budget', detail: 'gate: 9 GB' }), 'red', /near the storage budget/],
];

describe('indicators: every row of the scheme', () => {
  for (const [indicator, partial, look, reason] of ROWS) {
    const kind = Object.values(partial)[0]!.kind;
    it(`${indicator} ${kind} → ${look}`, () => {
      const views = indicatorViews({ ...IDLE_STATION, ...partial });
      assert.equal(views[indicator].look, look);
      assert.match(views[indicator].reason, reason);
    });
  }

  it('covers every state kind of every indicator', () => {
    const kinds = (ind: Indicator) =>
      new Set(ROWS.filter((r) => r[0] === ind).map((r) => Object.values(r[1])[0]!.kind));
    assert.deepEqual([...kinds('CARD')].sort(), [
      'done',
      'ejected-not-copied',
      'none',
      'read-error',
      'reading',
      'refused-drive-error',
      'refused-drive-full',
      'removed-early',
      'unmount-failed',
      'unmounting',
      'unrecognised',
      'waiting-for-clock',
      'waiting-for-drive',
    ]);
    for (const d of ['DRIVE_A', 'DRIVE_B'] as const)
      assert.deepEqual([...kinds(d)].sort(), [
        'absent',
        'ejected',
        'ejecting',
        'not-a-library',
        'present',
        'pulled',
        'unmount-failed',
      ]);
    assert.equal(kinds('BACKUP').size, 7);
    assert.equal(kinds('UPLINK').size, 8);
    // Every look is used somewhere, and by every indicator that can need it.
    assert.deepEqual(new Set(ROWS.map((r) => r[2])), new Set(LOOKS));
  });
});

describe('indicators: whole station', () => {
  it('an idle station: only drive A asks for action', () => {
    assert.deepEqual(looksOf(indicatorViews(IDLE_STATION)), {
      CARD: 'off',
      DRIVE_A: 'red-flash',
      DRIVE_B: 'off',
      BACKUP: 'off',
      UPLINK: 'off',
    });
  });

  it('a full drive refusing a card flashes CARD and DRIVE A red together', () => {
    const looks = looksOf(
      indicatorViews({
        ...IDLE_STATION,
        card: { kind: 'refused-drive-full' },
        driveA: { kind: 'present', health: 'full' },
      }),
    );
    assert.equal(looks.CARD, 'red-flash');
    assert.equal(looks.DRIVE_A, 'red-flash');
  });

  it('a busy, healthy station is all green', () => {
    const looks = looksOf(
      indicatorViews({
        card: { kind: 'reading' },
        driveA: { kind: 'present', health: 'ok', activity: 'writing' },
        driveB: { kind: 'present', health: 'ok', activity: 'mirroring' },
        backup: { kind: 'in-progress' },
        uplink: { kind: 'sending' },
      }),
    );
    for (const i of INDICATORS) assert.equal(looks[i], 'green', i);
  });

  it('is pure: same state, same answer, input untouched', () => {
    const s: StationState = { ...IDLE_STATION, card: { kind: 'reading', filesDone: 1, filesTotal: 2 } };
    const copy = structuredClone(s);
    assert.deepEqual(indicatorViews(s), indicatorViews(s));
    assert.deepEqual(s, copy);
  });
});
