import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { areaParent, areaPath, RecentUploads } from '../../../src/snapshots/ftp/area-path.js';

describe('areaPath: what a camera names, inside its area', () => {
  it('joins relative names to the working folder and normalises', () => {
    assert.equal(
      areaPath('/', '2026-12-04/001/jpg/10/15/03[R][0@0][0].jpg'),
      '/2026-12-04/001/jpg/10/15/03[R][0@0][0].jpg',
    );
    assert.equal(areaPath('/a/b', 'c.jpg'), '/a/b/c.jpg');
    assert.equal(areaPath('/a/b', './c//d/./e.jpg'), '/a/b/c/d/e.jpg');
    assert.equal(areaPath('/a/b', '..'), '/a');
    assert.equal(areaPath('/a/b', '/x'), '/x');
    assert.equal(areaPath('/a', '.'), '/a');
    assert.equal(areaPath('/', 'dir/'), '/dir');
  });

  it('never climbs above the area: `..`, absolute paths, backslashes', () => {
    for (const [cwd, name] of [
      ['/', '/../../etc/passwd'],
      ['/a', '../../../etc/passwd'],
      ['/a/b', '..\\..\\..\\etc\\passwd'],
      ['/', '\\..\\..\\etc/passwd'],
      ['/a', 'x/../../../../etc/passwd'],
    ] as const)
      assert.equal(areaPath(cwd, name), '/etc/passwd', `${cwd} + ${name}`);
    assert.equal(areaPath('/a', '../../..'), '/');
  });

  it('refuses NUL and control characters, empty names and over-long ones', () => {
    for (const name of [
      'a\u0000b',
      'etc/passwd\u0000.jpg',
      'a\nb',
      'a\rb',
      'a\u001bb',
      'a\u007fb',
      '',
      'x'.repeat(1025),
      `${'y'.repeat(256)}/z`,
    ])
      assert.equal(areaPath('/', name), undefined, JSON.stringify(name.slice(0, 20)));
    assert.equal(areaPath('/', 'y'.repeat(255)), `/${'y'.repeat(255)}`);
  });

  it('areaParent', () => {
    assert.equal(areaParent('/a/b/c.jpg'), '/a/b');
    assert.equal(areaParent('/c.jpg'), '/');
    assert.equal(areaParent('/'), '/');
  });
});

describe('RecentUploads', () => {
  const at = new Date('2026-12-04T10:15:03Z');

  it('answers size by path and lists a folder, the newest upload of a path winning', () => {
    const r = new RecentUploads(10);
    r.add('/a/x.jpg', 10, at);
    r.add('/a/y.jpg', 20, at);
    r.add('/a/b/z.jpg', 30, at);
    r.add('/a/x.jpg', 11, at);
    assert.equal(r.get('/a/x.jpg')?.size, 11);
    assert.deepEqual(
      r
        .in('/a')
        .map((e) => [e.name, e.size])
        .sort(),
      [
        ['x.jpg', 11],
        ['y.jpg', 20],
      ],
    );
    assert.deepEqual(r.in('/'), []);
  });

  it('is bounded: the oldest are forgotten first', () => {
    const r = new RecentUploads(3);
    for (let i = 0; i < 5; i++) r.add(`/f${i}.jpg`, i + 1, at);
    r.add('/f2.jpg', 99, at); // used again: now the newest
    r.add('/f5.jpg', 6, at);
    assert.deepEqual(
      r.in('/').map((e) => e.name),
      ['f4.jpg', 'f2.jpg', 'f5.jpg'],
    );
    assert.equal(r.get('/f0.jpg'), undefined);
  });
});
