import { useEffect, useRef, useState } from 'preact/hooks';
import { getItem } from '../api';
import { useMediaGestures } from '../gestures';
import { formatDateTime, t } from '../i18n';
import type { Item } from '../types';

/** The most photos shown side by side (a tablet fits four). */
export const MAX_COMPARE = 4;

interface Props {
  ids: string[];
  onClose(): void;
}

/**
 * Two to four photos side by side (`?compare=id,id,…`), zoomed and panned together: the frame of
 * a burst that is sharp, the one where the animal faces the camera. Loaded in its own chunk.
 */
export function Compare({ ids, onClose }: Props) {
  const [items, setItems] = useState<Item[] | null>(null);
  const [error, setError] = useState('');
  const box = useRef<HTMLDivElement>(null);
  const key = ids.join(',');
  useMediaGestures(box, key);

  useEffect(() => {
    let live = true;
    Promise.all(ids.slice(0, MAX_COMPARE).map((id) => getItem(id)))
      .then((list) => live && setItems(list))
      .catch((e: Error) => live && setError(t('compare.failed', { message: e.message })));
    return () => {
      live = false;
    };
  }, [key]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      onClose();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [onClose]);

  const n = Math.min(ids.length, MAX_COMPARE);
  return (
    <div
      class="item-view compare"
      role="dialog"
      aria-modal="true"
      aria-label={t('compare.title', { n: String(n) })}
    >
      <header class="item-bar">
        <span class="item-title">{t('compare.title', { n: String(n) })}</span>
        <span class="hint">{t('compare.hint')}</span>
        <button type="button" class="secondary" onClick={onClose} aria-label={t('compare.close')}>
          ✕
        </button>
      </header>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class={`compare-grid n${n}`} ref={box}>
        {items
          ? items.map((it) => (
              <figure key={it.id} class="compare-pane" data-id={it.id}>
                <div class="compare-frame">
                  <img
                    class="media zoomable"
                    src={it.links.preview ?? it.links.original}
                    alt={it.originalName}
                    draggable={false}
                  />
                </div>
                <figcaption>
                  <strong>{it.originalName}</strong>{' '}
                  {it.capturedAt ? formatDateTime(Date.parse(it.capturedAt)) : t('compare.noDate')}
                  {it.attributes.rating ? ` · ${'★'.repeat(it.attributes.rating)}` : ''}
                </figcaption>
              </figure>
            ))
          : !error && <p class="hint">{t('compare.loading')}</p>}
      </div>
    </div>
  );
}
