import { useState } from 'preact/hooks';
import { t } from '../i18n';
import type { Item } from '../types';

/**
 * The preview of an item: the preview image; for a video its small streaming copy when it has one
 * (an 8-second clip plays over 1 Mbit/s), the original one tap away; audio streamed (Range).
 */
export function Media({ item }: { item: Item }) {
  if (item.type === 'video') return <VideoMedia key={item.id} item={item} />;
  if (item.type === 'audio')
    return (
      <div class="media audio">
        <span aria-hidden="true">♪</span>
        <audio key={item.id} controls preload="metadata" src={item.links.original} />
      </div>
    );
  const src = item.links.preview ?? item.links.original;
  return <img key={item.id} class="media zoomable" src={src} alt={item.originalName} draggable={false} />;
}

function VideoMedia({ item }: { item: Item }) {
  const small = item.links.video ?? null;
  const [original, setOriginal] = useState(false);
  const src = small && !original ? small : item.links.original;
  return (
    <>
      <video
        key={src}
        class="media"
        controls
        playsInline
        preload="metadata"
        poster={item.links.poster ?? undefined}
        src={src}
      />
      {small && (
        <div class="media-source">
          <span>{original ? t('media.originalPlaying') : t('media.smallCopy')}</span>
          <button type="button" class="secondary" onClick={() => setOriginal(!original)}>
            {original ? t('media.playSmall') : t('media.playOriginal')}
          </button>
        </div>
      )}
    </>
  );
}
