import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clampView, pan, pinch, REST, swipeOf, toggleZoom } from '../../../web/src/zoom.js';

const centre = { x: 400, y: 300 };

test('spreading two fingers to twice their distance zooms 2× and keeps the point between them still', () => {
  const v = pinch(
    REST,
    centre,
    { x: 350, y: 300 },
    { x: 450, y: 300 },
    { x: 300, y: 300 },
    { x: 500, y: 300 },
  );
  assert.equal(v.scale, 2);
  assert.deepEqual([v.x, v.y], [0, 0]);
  // Off-centre: the picture point under the fingers' midpoint stays under it.
  const w = pinch(
    REST,
    centre,
    { x: 150, y: 100 },
    { x: 250, y: 100 },
    { x: 100, y: 100 },
    { x: 300, y: 100 },
  );
  const under = { x: (200 - (centre.x + 0)) / 1, y: (100 - (centre.y + 0)) / 1 };
  assert.equal(centre.x + w.x + under.x * w.scale, 200);
  assert.equal(centre.y + w.y + under.y * w.scale, 100);
});

test('zoom stays between 1× and 8×, and a pan never shows past the edges', () => {
  const tiny = pinch(
    REST,
    centre,
    { x: 300, y: 300 },
    { x: 500, y: 300 },
    { x: 399, y: 300 },
    { x: 401, y: 300 },
  );
  assert.equal(tiny.scale, 1);
  const huge = pinch(
    REST,
    centre,
    { x: 399, y: 300 },
    { x: 401, y: 300 },
    { x: 0, y: 300 },
    { x: 800, y: 300 },
  );
  assert.equal(huge.scale, 8);
  assert.deepEqual(clampView({ scale: 2, x: 1000, y: -1000 }, 800, 600), { scale: 2, x: 400, y: -300 });
  assert.deepEqual(clampView({ scale: 0.5, x: 10, y: 10 }, 800, 600), REST);
  assert.deepEqual(pan({ scale: 2, x: 0, y: 0 }, { x: 10, y: 10 }, { x: 60, y: 30 }), {
    scale: 2,
    x: 50,
    y: 20,
  });
});

test('a double tap zooms in at the tapped point, and out again', () => {
  const v = toggleZoom(REST, centre, { x: 500, y: 300 });
  assert.equal(v.scale, 2.5);
  assert.equal(centre.x + v.x + (500 - centre.x) * v.scale, 500, 'the tapped point stays under the finger');
  assert.deepEqual(toggleZoom(v, centre, { x: 0, y: 0 }), REST);
});

test('a swipe is a quick, mostly horizontal stroke of 60 px or more', () => {
  assert.equal(swipeOf({ x: 500, y: 300 }, { x: 300, y: 320 }, 200), -1);
  assert.equal(swipeOf({ x: 300, y: 300 }, { x: 500, y: 300 }, 200), 1);
  assert.equal(swipeOf({ x: 300, y: 300 }, { x: 340, y: 300 }, 200), 0, 'too short');
  assert.equal(swipeOf({ x: 300, y: 300 }, { x: 400, y: 400 }, 200), 0, 'too steep');
  assert.equal(swipeOf({ x: 300, y: 300 }, { x: 500, y: 300 }, 2000), 0, 'too slow');
});
