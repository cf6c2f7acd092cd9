import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE, OutpostError, toOutpostError } from '../../../src/core/errors.js';
import { WARNING_CATALOGUE, hintOf, hintOfStored } from '../../../src/core/warnings.js';
import { REPO_ROOT } from '../../kit/paths.js';

/** Every source file of src/ but the two catalogues, path → text. */
function sources(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.tsx?$/.test(name)) out.set(relative(REPO_ROOT, p), readFileSync(p, 'utf8'));
    }
  };
  walk(join(REPO_ROOT, 'src'));
  out.delete('src/core/errors.ts');
  out.delete('src/core/warnings.ts');
  return out;
}

/** docs/errors.md's table rows: code → the cells after it. */
function documented(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8').split('\n')) {
    const m = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|(.*)\|\s*$/.exec(line);
    if (m)
      rows.set(
        m[1]!,
        m[2]!.split('|').map((c) => c.trim()),
      );
  }
  return rows;
}

const errorCodes = Object.keys(ERROR_CATALOGUE) as (keyof typeof ERROR_CATALOGUE)[];
const warningCodes = Object.keys(WARNING_CATALOGUE) as (keyof typeof WARNING_CATALOGUE)[];

describe('one vocabulary of error and warning codes', () => {
  it('a code is in one catalogue only, and every one has a hint', () => {
    for (const c of warningCodes) assert.ok(!Object.hasOwn(ERROR_CATALOGUE, c), `${c} is in both catalogues`);
    for (const c of [...errorCodes, ...warningCodes]) {
      assert.match(c, /^[A-Z][A-Z0-9_]+$/);
      assert.ok(hintOf(c).length > 20, `${c} has a hint`);
    }
  });

  it('every code is used somewhere in src/', () => {
    const text = [...sources().values()].join('\n');
    const unused = [...errorCodes, ...warningCodes].filter((c) => !new RegExp(`\\b${c}\\b`).test(text));
    assert.deepEqual(unused, [], `codes no code produces: remove them, or use them`);
  });

  it('every code is documented in docs/errors.md, errors with their HTTP status and exit code', () => {
    const docs = documented();
    for (const c of errorCodes) {
      const row = docs.get(c);
      assert.ok(row, `${c} is not in docs/errors.md`);
      assert.equal(row[0], String(ERROR_CATALOGUE[c].status), `${c}: HTTP status in docs/errors.md`);
      assert.equal(row[1], String(ERROR_CATALOGUE[c].exit), `${c}: exit code in docs/errors.md`);
    }
    for (const c of warningCodes) assert.ok(docs.has(c), `${c} is not in docs/errors.md`);
    const known = new Set<string>([...errorCodes, ...warningCodes]);
    for (const c of docs.keys()) assert.ok(known.has(c), `docs/errors.md lists ${c}, which no catalogue has`);
  });

  it('a stored warning gets its hint; an unknown or inherited name does not', () => {
    assert.equal(hintOfStored('TRUNCATED'), WARNING_CATALOGUE.TRUNCATED.hint);
    assert.equal(hintOfStored('OP_INVALID'), ERROR_CATALOGUE.OP_INVALID.hint);
    assert.equal(hintOfStored('SOMETHING_ELSE'), undefined);
    assert.equal(hintOfStored('constructor'), undefined);
  });
});

describe('toOutpostError: anything thrown gets a code', () => {
  const sys = (code: string, extra: Record<string, unknown> = {}): Error =>
    Object.assign(new Error(`${code}: something`), { code, ...extra });

  it('keeps an OutpostError as it is', () => {
    const e = new OutpostError('ITEM_NOT_FOUND', 'no item abc');
    assert.equal(toOutpostError(e), e);
  });

  it('maps a full or failing drive', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL'])
      assert.equal(toOutpostError(sys(code)).code, 'DRIVE_FULL', code);
    for (const code of ['EIO', 'EROFS', 'SQLITE_IOERR_WRITE', 'SQLITE_READONLY'])
      assert.equal(toOutpostError(sys(code)).code, 'DRIVE_WRITE_ERROR', code);
  });

  it('a program that is not installed is TOOL_MISSING; a missing file is not', () => {
    const spawnFailure = sys('ENOENT', { syscall: 'spawn ffmpeg', path: 'ffmpeg', spawnargs: ['-i', 'x'] });
    const missing = toOutpostError(spawnFailure);
    assert.equal(missing.code, 'TOOL_MISSING');
    assert.match(missing.message, /ffmpeg/);
    assert.equal(toOutpostError(sys('ENOENT', { path: '/x/y.jpg' })).code, 'INTERNAL');
  });

  it('anything else is INTERNAL, with the original as its cause', () => {
    const e = new TypeError('x is undefined');
    const r = toOutpostError(e);
    assert.equal(r.code, 'INTERNAL');
    assert.equal(r.cause, e);
    assert.equal(r.exitCode, 1);
    assert.equal(toOutpostError('a string').message, 'a string');
  });
});
