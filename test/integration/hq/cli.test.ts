import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { keySha256, parseStationKey } from '../../../src/hq/station-key.js';
import { json, outpost } from '../../kit/cli.js';

/** `outpost hq keys add|list|revoke --data <dir>` as people run them. */
let work: string;
let data: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'outpost-hq-cli-'));
  data = join(work, 'hq');
});
after(async () => rm(work, { recursive: true, force: true }));

it('keys: add prints the key once, list never shows it, revoke ends it, names are checked', async () => {
  const added = await outpost(['hq', 'keys', 'add', 'camp-3', '--data', data, '--json']);
  assert.equal(added.code, 0, added.stderr);
  const { key, station } = json<{ key: string; station: string }>(added);
  assert.equal(station, 'camp-3');
  assert.deepEqual(parseStationKey(key), { station: 'camp-3' });

  const again = await outpost(['hq', 'keys', 'add', 'camp-3', '--data', data, '--json']);
  assert.equal(again.code, 2);
  assert.equal(json<{ error: { code: string } }>(again).error.code, 'STATION_KEY_EXISTS');

  const list = await outpost(['hq', 'keys', 'list', '--data', data, '--json']);
  assert.equal(list.code, 0, list.stderr);
  assert.ok(
    !list.stdout.includes(key.slice(10)) && !list.stdout.includes(keySha256(key)),
    'no key material listed',
  );
  assert.deepEqual(
    json<{ station: string; revokedAt: string | null }[]>(list).map((k) => [k.station, k.revokedAt]),
    [['camp-3', null]],
  );

  const revoked = await outpost(['hq', 'keys', 'revoke', 'camp-3', '--data', data]);
  assert.equal(revoked.code, 0, revoked.stderr);
  const human = await outpost(['hq', 'keys', 'list', '--data', data]);
  assert.match(human.stdout, /camp-3\s+\S+\s+revoked/);
  // After a revoke, a new key may be made.
  assert.equal((await outpost(['hq', 'keys', 'add', 'camp-3', '--data', data, '--json'])).code, 0);

  const bad = await outpost(['hq', 'keys', 'add', 'Camp_3', '--data', data, '--json']);
  assert.equal(bad.code, 2);
  assert.equal(json<{ error: { code: string } }>(bad).error.code, 'INVALID_INPUT');
  const none = await outpost(['hq', 'keys', 'revoke', 'nobody', '--data', data, '--json']);
  assert.equal(json<{ error: { code: string } }>(none).error.code, 'STATION_NOT_FOUND');
  const noData = await outpost(['hq', 'keys', 'list', '--json']);
  assert.equal(json<{ error: { code: string } }>(noData).error.code, 'USAGE');
});
