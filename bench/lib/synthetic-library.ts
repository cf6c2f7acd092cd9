import { createHash } from 'node:crypto';
import type { Catalog } from '../../src/library/catalog/open.js';
import { sqliteOf } from '../../src/library/catalog/handle.js';

/**
 * Fill a catalogue with `n` synthetic stored items spread over monitors, types, two years of
 * capture times, events, ratings and tags: the shape of a busy programme's library, for
 * query benchmarks (no files behind them).
 */
export function fillSyntheticItems(cat: Catalog, n: number): void {
  const insert = sqliteOf(cat).prepare(
    `insert into items (id, type, state, path, monitor, size, ext, original_name, original_mtime_ms, captured_at,
       captured_source, sort_time, imported_at, facts, warnings, event, rating, priority, tags, derived_at, has_thumb)
     values (@id, @type, 'stored', @path, @monitor, @size, @ext, @name, 0, @t, 'exif', @t, @t, '{}', '[]',
       @event, @rating, @priority, @tags, @t, 1)`,
  );
  const start = Date.UTC(2024, 0, 1);
  const span = 730 * 86_400_000;
  const tagPool = ['lion', 'elephant', 'dusk', 'river', 'herd', 'calf', 'night', 'rain'];
  sqliteOf(cat).transaction(() => {
    for (let i = 0; i < n; i++) {
      const id = createHash('sha256').update(`item-${i}`).digest('hex');
      const t = new Date(start + Math.floor((i * 7919) % span) + i).toISOString().slice(0, 19);
      const type = i % 10 === 0 ? 'video' : i % 17 === 0 ? 'audio' : 'photo';
      const ext = type === 'video' ? 'mp4' : type === 'audio' ? 'wav' : 'jpg';
      const monitor = `M${i % 12}`;
      insert.run({
        id,
        type,
        path: `library/${monitor}/${t.slice(0, 10)}/${t.replace(/[-:]/g, '').replace('T', '-')}_${id.slice(0, 16)}.${ext}`,
        monitor,
        size: 1000 + (i % 5000),
        ext,
        name: `IMG_${i}.${ext.toUpperCase()}`,
        t,
        event: i % 10 === 3 ? `EV-${i % 40}` : null,
        rating: i % 7 === 0 ? null : i % 6,
        priority: i % 50 === 0 ? 1 : 0,
        tags: JSON.stringify(i % 3 === 0 ? [tagPool[i % 8], tagPool[(i >> 3) % 8]] : []),
      });
    }
  })();
}
