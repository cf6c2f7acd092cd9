import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cardFilePath,
  isEscapedName,
  nameBytes,
  readableName,
  readableNameOfText,
  readablePath,
} from '../../../src/core/file-names.js';
import { textProblem } from '../../../src/core/text.js';
import { parseBlkidExport, parseLsblkPairs } from '../../../src/ingest/fingerprint.js';
import { prng } from '../../kit/prng.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('readable names of card files', () => {
  it('plain names are themselves; others are escaped byte by byte', () => {
    const cases: [Buffer, string][] = [
      [Buffer.from('IMG_0001.JPG'), 'IMG_0001.JPG'],
      [Buffer.from('café 😀 مرحبا.jpg'), 'café 😀 مرحبا.jpg'],
      [Buffer.from('a\\b.jpg'), 'a\\b.jpg'],
      [latin1('bad\xff\xfeutf8.jpg'), 'bad\\xFF\\xFEutf8.jpg'],
      [Buffer.from('tab\there.jpg'), 'tab\\x09here.jpg'],
      [Buffer.from('nl\n.jpg'), 'nl\\x0A.jpg'],
      [Buffer.from('c1\u0085.jpg'), 'c1\\xC2\\x85.jpg'],
      [Buffer.from('nonchar\uFFFE.jpg'), 'nonchar\\xEF\\xBF\\xBE.jpg'],
      // A surrogate encoded as UTF-8 (CESU/WTF-8) is not UTF-8; an overlong "/" is not either.
      [latin1('\xed\xa0\x80.jpg'), '\\xED\\xA0\\x80.jpg'],
      [latin1('\xc0\xaf.jpg'), '\\xC0\\xAF.jpg'],
      // Invalid bytes next to a backslash: the backslash is escaped so the form is unambiguous.
      [latin1('a\\\xff.jpg'), 'a\\\\\\xFF.jpg'],
      // A valid name that reads like an escaped one is escaped itself: no two names collide.
      [Buffer.from('bad\\xFF.jpg'), 'bad\\\\xFF.jpg'],
      [Buffer.from('bad\\xff.jpg'), 'bad\\xff.jpg'],
    ];
    for (const [bytes, readable] of cases) {
      assert.equal(readableName(bytes), readable, bytes.toString('hex'));
      assert.ok(nameBytes(readable).equals(bytes), readable);
      assert.equal(textProblem(readable), undefined, `${readable} is storable text`);
      if (!bytes.includes(0xff) && !bytes.includes(0xc0) && !bytes.includes(0xed))
        assert.equal(readableNameOfText(bytes.toString('utf8')), readable);
    }
    assert.equal(isEscapedName('IMG_0001.JPG'), false);
    assert.equal(isEscapedName('bad\\xFF\\xFEutf8.jpg'), true);
  });

  it('is one-to-one and lossless on random byte names (seeded)', () => {
    const rnd = prng(10_3);
    // Bytes that make trouble: backslash, x, hex digits, UTF-8 lead and continuation bytes, controls.
    const alphabet = [
      0x5c, 0x78, 0x46, 0x46, 0x30, 0x41, 0x61, 0xff, 0xfe, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0x01, 0x09, 0x2e,
    ];
    const seen = new Map<string, string>();
    for (let n = 0; n < 20_000; n++) {
      const len = 1 + Math.floor(rnd() * 10);
      const bytes = Buffer.from(
        Array.from({ length: len }, () => alphabet[Math.floor(rnd() * alphabet.length)]!),
      );
      const readable = readableName(bytes);
      assert.ok(nameBytes(readable).equals(bytes), `${bytes.toString('hex')} → ${readable}`);
      assert.equal(textProblem(readable), undefined, readable);
      assert.ok(!readable.includes('/'));
      const before = seen.get(readable);
      assert.ok(before === undefined || before === bytes.toString('hex'), `collision on ${readable}`);
      seen.set(readable, bytes.toString('hex'));
    }
  });

  it('card paths: text while plain, exact bytes otherwise; readable again for messages', () => {
    assert.equal(cardFilePath('/media/card', 'DCIM/IMG_1.JPG'), '/media/card/DCIM/IMG_1.JPG');
    const p = cardFilePath('/media/card', 'DCIM\\xFF/bad\\xFE.jpg');
    assert.ok(Buffer.isBuffer(p));
    assert.ok(p.equals(latin1('/media/card/DCIM\xff/bad\xfe.jpg')));
    assert.equal(readablePath(p), '/media/card/DCIM\\xFF/bad\\xFE.jpg');
  });

  it('card labels from lsblk and blkid are readable names too', () => {
    assert.deepEqual(parseLsblkPairs('UUID="abc" LABEL="CAM\\xff\\x07"'), {
      UUID: 'abc',
      LABEL: 'CAM\\xFF\\x07',
    });
    assert.equal(parseBlkidExport('LABEL=A\tB\nUUID=x\n').LABEL, 'A\\x09B');
  });
});

describe('storable text', () => {
  it('refuses controls, noncharacters and lone surrogates, naming the character', () => {
    assert.equal(textProblem('River survey — 2024 «ok» <b>&amp; 😀 \u200F'), undefined);
    assert.match(textProblem('a\u0007')!, /control characters \(U\+0007 at character 2\)/);
    assert.match(textProblem('a\u009B')!, /U\+009B/);
    assert.match(textProblem('a\u007F')!, /U\+007F/);
    assert.match(textProblem('\uFFFF')!, /noncharacter U\+FFFF/);
    assert.match(textProblem('\uD800')!, /lone surrogate \(U\+D800/);
    assert.match(textProblem('x\uDC00')!, /lone surrogate \(U\+DC00 at character 2/);
    assert.match(textProblem('\uDC00\uD800')!, /lone surrogate/);
    assert.equal(textProblem('\uD83D\uDE00'), undefined, 'a surrogate pair is a character');
    assert.match(textProblem('a\tb')!, /control/);
    assert.equal(textProblem('a\tb\nc', { multiline: true }), undefined);
    assert.match(textProblem('a\r\nb', { multiline: true })!, /other than tab and newline \(U\+000D/);
  });
});
