import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRANSFER_CLASSES, type TransferClass } from '../../../src/uplink/classes.js';
import { UplinkScheduler } from '../../../src/uplink/scheduler.js';

const MiB = 1024 * 1024;
const t = (id: string, cls: TransferClass, remaining: number, size = remaining) => ({
  id,
  cls,
  remaining,
  size,
});

describe('uplink scheduler', () => {
  it('picks the most important class first, and nothing when empty', () => {
    const s = new UplinkScheduler();
    assert.equal(s.next(0), undefined);
    for (const [i, c] of [...TRANSFER_CLASSES].reverse().entries()) s.upsert(t(`x${i}`, c, 100));
    const order: TransferClass[] = [];
    for (;;) {
      const d = s.next(0);
      if (!d) break;
      order.push(d.cls);
      s.remove(d.id);
    }
    assert.deepEqual(order, [...TRANSFER_CLASSES]);
  });

  it('shortest remaining first within a class, ties by id, and re-sorts as bytes go out', () => {
    const s = new UplinkScheduler();
    s.upsert(t('b', 'photo', 300));
    s.upsert(t('a', 'photo', 300));
    s.upsert(t('c', 'photo', 200));
    assert.equal(s.next(0)?.id, 'c');
    s.sent('c', 150); // c: 50 left, still shortest
    assert.equal(s.next(0)?.id, 'c');
    s.remove('c');
    assert.equal(s.next(0)?.id, 'a');
    s.sent('b', 290); // b now has 10 left: overtakes a
    assert.equal(s.next(0)?.id, 'b');
    assert.equal(s.get('b')?.remaining, 10);
  });

  it('a newly rated item overtakes at the very next decision', () => {
    const s = new UplinkScheduler();
    for (let i = 0; i < 100; i++) s.upsert(t(`p${i}`, 'photo', 1000 + i));
    s.upsert(t('late', 'photo', 50 * MiB));
    const first = s.next(0);
    assert.equal(first?.id, 'p0');
    s.sent('p0', 500);
    s.setClass('late', 'rated-original');
    assert.equal(s.next(1)?.id, 'late');
    assert.equal(s.next(1)?.reason, 'rank');
  });

  it('skips transfers in backoff until their time, and tells when to wake', () => {
    const s = new UplinkScheduler();
    s.upsert({ ...t('a', 'ops', 10), notBefore: 5000 });
    s.upsert(t('b', 'video', 10));
    assert.equal(s.next(0)?.id, 'b');
    assert.equal(s.nextWakeAt(), 5000);
    assert.equal(s.next(5000)?.id, 'a');
    s.defer('a', 9000);
    assert.equal(s.next(6000)?.id, 'b');
    s.resume('a');
    assert.equal(s.next(6000)?.id, 'a');
    s.defer('a', Infinity); // parked, e.g. in flight on another worker
    s.remove('b');
    assert.equal(s.next(1e12), undefined);
    assert.equal(s.nextWakeAt(), Infinity);
  });

  it('video gets its minimum share under a steady flood of higher-class work', () => {
    const s = new UplinkScheduler({ shareWindowBytes: 32 * MiB });
    const chunk = MiB;
    let n = 0;
    const sent: Record<string, number> = {};
    s.upsert(t('v', 'video', 1e12));
    for (let step = 0; step < 2000; step++) {
      // Keep a flood of photos and previews waiting at all times.
      while (n < step + 5) {
        s.upsert(t(`p${n}`, n % 2 ? 'photo' : 'preview', 3 * MiB));
        n++;
      }
      const d = s.next(step);
      assert.ok(d);
      s.sent(d.id, chunk);
      sent[d.cls] = (sent[d.cls] ?? 0) + chunk;
      if (s.get(d.id)?.remaining === 0) s.remove(d.id);
    }
    const total = Object.values(sent).reduce((a, b) => a + b, 0);
    const video = (sent.video ?? 0) / total;
    assert.ok(video >= 0.19, `video share ${video}`);
    assert.ok(video <= 0.23, `video takes no more than its floor when others wait: ${video}`);
    assert.ok((sent.preview ?? 0) > (sent.photo ?? 0), 'previews before photos');
  });

  it('video alone takes the whole link, and higher classes take it back without owing video', () => {
    const s = new UplinkScheduler({ shareWindowBytes: 16 * MiB });
    s.upsert(t('v', 'video', 1e12));
    for (let i = 0; i < 100; i++) {
      const d = s.next(i);
      assert.equal(d?.id, 'v');
      s.sent('v', MiB);
    }
    assert.ok(s.shares().video > 0.99);
    // A flood arrives: photos get every chunk until video's share decays to its floor.
    for (let i = 0; i < 200; i++) s.upsert(t(`p${i}`, 'photo', 10 * MiB));
    const picks: string[] = [];
    for (let i = 0; i < 40; i++) {
      const d = s.next(i) as { id: string };
      picks.push(d.id);
      s.sent(d.id, MiB);
    }
    // ln(0.2) * 16 MiB ≈ 25.7 MiB of photos first.
    const firstVideo = picks.indexOf('v');
    assert.ok(firstVideo >= 25 && firstVideo <= 27, `first video chunk after ${firstVideo} photo chunks`);
  });

  it('does not let the share rule fire on a cold start', () => {
    const s = new UplinkScheduler();
    s.upsert(t('v', 'video', 100 * MiB));
    s.upsert(t('o', 'ops', 10_000));
    s.upsert(t('th', 'thumb', 20_000));
    assert.equal(s.next(0)?.id, 'o');
  });

  it('supports shares for other classes and validates them', () => {
    assert.throws(() => new UplinkScheduler({ minShare: { video: 0.7, audio: 0.5 } }), /add up/);
    assert.throws(() => new UplinkScheduler({ minShare: { video: -1 } }), /between 0 and 1/);
    const s = new UplinkScheduler({ minShare: { audio: 0.5 }, shareWarmupBytes: 0 });
    s.upsert(t('a', 'audio', 1e9));
    s.upsert(t('p', 'photo', 1e9));
    s.upsert(t('v', 'video', 1e9));
    const picks: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const d = s.next(i) as { id: string };
      picks[d.id] = (picks[d.id] ?? 0) + 1;
      s.sent(d.id, 1000);
    }
    assert.equal(picks.v, undefined, 'video has no floor here');
    assert.ok(Math.abs((picks.a ?? 0) - 500) <= 5, `audio ${picks.a}`);
  });

  it('is deterministic', () => {
    const run = (): string[] => {
      const s = new UplinkScheduler({ shareWarmupBytes: 0 });
      for (let i = 0; i < 50; i++)
        s.upsert(t(`i${i}`, TRANSFER_CLASSES[i % 8] as TransferClass, (i * 7919) % 1000));
      const out: string[] = [];
      for (let i = 0; i < 200; i++) {
        const d = s.next(i);
        if (!d) break;
        out.push(d.id);
        s.sent(d.id, 100);
        if (s.get(d.id)?.remaining === 0) s.remove(d.id);
      }
      return out;
    };
    assert.deepEqual(run(), run());
  });

  it('makes 10,000 decisions over 10,000 pending transfers quickly', () => {
    const s = new UplinkScheduler();
    for (let i = 0; i < 10_000; i++) {
      s.upsert({
        ...t(
          `t${i}`,
          TRANSFER_CLASSES[i % TRANSFER_CLASSES.length] as TransferClass,
          1 + ((i * 2654435761) % 1e9),
        ),
        ...(i % 10 === 0 ? { notBefore: i } : {}),
      });
    }
    const start = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const d = s.next(i);
      assert.ok(d);
      s.sent(d.id, 64 * 1024);
      if (i % 7 === 0) s.setClass(d.id, 'rated-original');
      if (i % 13 === 0) s.defer(d.id, i + 100);
    }
    const ms = performance.now() - start;
    assert.equal(s.size, 10_000);
    // O(log n) per decision: ~10 ms on a laptop; a linear scan would be seconds. Generous for CI.
    assert.ok(ms < 1000, `10k decisions took ${ms.toFixed(0)} ms`);
  });
});
