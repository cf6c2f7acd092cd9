import { useEffect, useState } from 'preact/hooks';
import { getSimilar } from '../api';
import { formatNumber, t } from '../i18n';
import { navigate, withQuery } from '../router';
import type { Item } from '../types';

/** Near-duplicates of an item (perceptual hash): resized copies, bursts, re-encodes. */
export function Similar({ item }: { item: Item }) {
  const [hits, setHits] = useState<{ distance: number; item: Item }[] | null>(null);
  useEffect(() => {
    let live = true;
    setHits(null);
    getSimilar(item.id)
      .then((r) => live && setHits(r.items))
      .catch(() => live && setHits([]));
    return () => {
      live = false;
    };
  }, [item.id]);
  if (!hits || hits.length === 0) return null;
  return (
    <section class="similar" aria-label={t('similar.label')}>
      <h3>{t('similar.title', { n: formatNumber(hits.length) })}</h3>
      <div class="similar-strip">
        {hits.map((h) => (
          <button
            type="button"
            key={h.item.id}
            class="similar-item"
            title={t('similar.distance', { name: h.item.originalName, d: String(h.distance) })}
            onClick={() => navigate(withQuery({ item: h.item.id }))}
          >
            {h.item.links.thumb ? (
              <img src={h.item.links.thumb} alt={h.item.originalName} loading="lazy" />
            ) : (
              h.item.ext
            )}
          </button>
        ))}
      </div>
    </section>
  );
}
