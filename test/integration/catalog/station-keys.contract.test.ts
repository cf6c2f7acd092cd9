import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addStationKey, listStationKeys, revokeStationKey, stationOfKey } from '../../../src/hq/keys.js';
import {
  addStationKeyHash,
  listStationKeyRows,
  revokeLiveStationKeys,
  stationOfKeyHash,
} from '../../../src/library/catalog/station-keys.js';
import { catalogEngines } from '../../kit/catalogs.js';

/** HQ station keys (catalog/station-keys.ts, and hq/keys.ts over it) on both engines. */

const T0 = '2024-06-01T10:00:00.000Z';
const T1 = '2024-06-02T10:00:00.000Z';
const H = (c: string) => c.repeat(64);

for (const engine of catalogEngines()) {
  describe(`station keys (${engine.name})`, () => {
    it('adds, looks up, refuses a second live key, revokes, and lists', async () => {
      const cat = await engine.open();
      assert.equal(
        await addStationKeyHash(cat, { station: 'a-b', keySha256: H('1'), createdAt: T0 }),
        'added',
      );
      assert.equal(
        await addStationKeyHash(cat, { station: 'ab', keySha256: H('2'), createdAt: T0 }),
        'added',
      );
      assert.equal(
        await addStationKeyHash(cat, { station: 'a-b', keySha256: H('3'), createdAt: T1 }),
        'has-live-key',
      );
      assert.equal(await stationOfKeyHash(cat, H('1')), 'a-b');
      assert.equal(await stationOfKeyHash(cat, H('3')), undefined, 'the refused key was not stored');
      assert.equal(await revokeLiveStationKeys(cat, 'a-b', T1), 1);
      assert.equal(await revokeLiveStationKeys(cat, 'a-b', T1), 0);
      assert.equal(await stationOfKeyHash(cat, H('1')), undefined, 'revoked');
      assert.equal(
        await addStationKeyHash(cat, { station: 'a-b', keySha256: H('3'), createdAt: T1 }),
        'added',
      );
      assert.deepEqual(await listStationKeyRows(cat), [
        { station: 'a-b', createdAt: T0, revokedAt: T1 },
        { station: 'a-b', createdAt: T1, revokedAt: null },
        { station: 'ab', createdAt: T0, revokedAt: null },
      ]);
    });

    it('concurrent adds for one station store one key', async () => {
      const cat = await engine.open();
      // Open connections first (PostgreSQL's pool), so no add waits for one to be made.
      await Promise.all(Array.from({ length: 4 }, () => listStationKeyRows(cat)));
      const outcomes = await Promise.all(
        ['4', '5', '6', '7'].map((c) =>
          addStationKeyHash(cat, { station: 'alpha', keySha256: H(c), createdAt: T0 }),
        ),
      );
      assert.equal(outcomes.filter((o) => o === 'added').length, 1, outcomes.join());
      assert.equal((await listStationKeyRows(cat)).length, 1);
    });

    it('hq keys: a made key authenticates its station until revoked', async () => {
      const cat = await engine.open();
      const now = new Date(T0);
      const { key } = await addStationKey(cat, 'alpha', now);
      assert.equal(await stationOfKey(cat, key), 'alpha');
      await assert.rejects(addStationKey(cat, 'alpha', now), { code: 'STATION_KEY_EXISTS' });
      assert.equal(await stationOfKey(cat, `op1_alpha_${'A'.repeat(43)}`), undefined);
      assert.equal(await stationOfKey(cat, 'garbage'), undefined);
      assert.equal(await revokeStationKey(cat, 'alpha', new Date(T1)), 1);
      assert.equal(await stationOfKey(cat, key), undefined);
      await assert.rejects(revokeStationKey(cat, 'alpha', new Date(T1)), { code: 'STATION_NOT_FOUND' });
      assert.deepEqual(await listStationKeys(cat), [{ station: 'alpha', createdAt: T0, revokedAt: T1 }]);
    });
  });
}
