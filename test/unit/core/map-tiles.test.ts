import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_ZOOM,
  mapInfoOf,
  parseTileAddress,
  plainText,
  sniffTile,
  tmsRow,
} from '../../../src/core/map-tiles.js';

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
const JPG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
const WEBP = new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ');
const tiles = { sniffed: 'png' as const, minzoom: 0, maxzoom: 5 };

describe('map tiles: addresses', () => {
  it('flips XYZ rows to TMS rows', () => {
    assert.equal(tmsRow(0, 0), 0);
    assert.equal(tmsRow(1, 0), 1);
    assert.equal(tmsRow(1, 1), 0);
    assert.equal(tmsRow(3, 2), 5);
  });

  it('accepts tiles inside the grid of their zoom', () => {
    assert.deepEqual(parseTileAddress('0', '0', '0'), { z: 0, x: 0, y: 0 });
    assert.deepEqual(parseTileAddress('2', '3', '1'), { z: 2, x: 3, y: 1 });
    assert.deepEqual(parseTileAddress(String(MAX_ZOOM), '0', '0'), { z: MAX_ZOOM, x: 0, y: 0 });
  });

  it('rejects hostile or out-of-grid addresses', () => {
    for (const [z, x, y] of [
      ['1', '2', '0'], // x outside a 2×2 grid
      ['1', '0', '2'],
      [String(MAX_ZOOM + 1), '0', '0'],
      ['-1', '0', '0'],
      ['1e1', '0', '0'],
      ['0x1', '0', '0'],
      ['1.0', '0', '0'],
      [' 1', '0', '0'],
      ['', '0', '0'],
      ['999999999', '0', '0'],
      ['1', '0', '0;drop table tiles'],
      ['１', '0', '0'], // full-width digit
    ])
      assert.equal(parseTileAddress(z!, x!, y!), null, `${z}/${x}/${y}`);
  });
});

describe('map tiles: metadata', () => {
  it('strips markup from attributions', () => {
    assert.equal(
      plainText('<a href="https://osm.org/copyright">&copy; OpenStreetMap</a> &amp; <b>others</b>\n  x'),
      '© OpenStreetMap & others x',
    );
  });

  it('sniffs raster formats from magic numbers', () => {
    assert.equal(sniffTile(PNG), 'png');
    assert.equal(sniffTile(JPG), 'jpg');
    assert.equal(sniffTile(WEBP), 'webp');
    assert.equal(sniffTile(Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0])), null); // gzip (pbf)
    assert.equal(sniffTile(new Uint8Array()), null);
  });

  it('reads a full metadata table', () => {
    const info = mapInfoOf(
      {
        name: ' Valle ',
        format: 'jpeg',
        attribution: '<a href="x">© Someone</a>',
        bounds: '-80, -15, -70, -5',
        center: '-75,-10,6',
        minzoom: '3',
        maxzoom: '9',
        description: 'Area',
      },
      tiles,
    );
    assert.notEqual(typeof info, 'string');
    assert.deepEqual(info, {
      name: 'Valle',
      attribution: '© Someone',
      description: 'Area',
      format: 'jpg',
      minzoom: 3,
      maxzoom: 9,
      bounds: [-80, -15, -70, -5],
      center: [-75, -10, 6],
    });
  });

  it('falls back to the tiles when the metadata is thin or wrong', () => {
    const info = mapInfoOf({ bounds: '10,10,5,5', center: 'a,b,c', minzoom: 'x' }, tiles);
    assert.ok(typeof info !== 'string');
    assert.equal(info.name, 'Map tiles');
    assert.equal(info.format, 'png');
    assert.equal(info.bounds, null, 'west > east is not an area');
    assert.equal(info.center, null);
    assert.equal(info.minzoom, 0);
    assert.equal(info.maxzoom, 5);
    assert.equal(info.attribution, null);
    const out = mapInfoOf({ bounds: '-200,0,10,10' }, tiles);
    assert.ok(typeof out !== 'string');
    assert.equal(out.bounds, null);
  });

  it('explains what cannot be shown', () => {
    assert.match(String(mapInfoOf({ format: 'pbf' }, tiles)), /only raster tiles/);
    assert.match(String(mapInfoOf({}, { ...tiles, sniffed: null })), /not PNG, JPEG or WebP/);
    assert.match(
      String(mapInfoOf({ format: 'png' }, { sniffed: null, minzoom: null, maxzoom: null })),
      /no tiles/,
    );
  });
});
