import type { Item } from '../types';

/** The preview of an item: the preview image, or the original streamed (Range) for video/audio. */
export function Media({ item }: { item: Item }) {
  if (item.type === 'video')
    return (
      <video
        key={item.id}
        class="media"
        controls
        playsInline
        preload="metadata"
        poster={item.links.poster ?? undefined}
        src={item.links.original}
      />
    );
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
