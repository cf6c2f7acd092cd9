import { t } from '../i18n';
import type { Item } from '../types';

interface Props {
  item: Item;
  index: number;
  size: number;
  /** In the visible part of the grid (not the rows drawn ahead): its thumbnail comes first. */
  onScreen?: boolean;
  selected: boolean;
  /** The cover of a burst: how many frames, and whether they are unfolded in the grid. */
  stack?: { count: number; open: boolean } | undefined;
  onToggleStack?: ((coverId: string) => void) | undefined;
  onOpen(index: number, e: MouseEvent): void;
  onSelect(index: number, e: MouseEvent): void;
}

const TYPE_MARK: Record<string, string> = { video: '▶', audio: '♪' };

/** One cell of the grid: the thumbnail (lazy, with a placeholder) and an always-visible check box. */
export function Thumb({
  item,
  index,
  size,
  onScreen = true,
  selected,
  stack,
  onToggleStack,
  onOpen,
  onSelect,
}: Props) {
  const a = item.attributes;
  return (
    <div
      class={`cell${selected ? ' selected' : ''}${stack && !stack.open ? ' stacked' : ''}${a.rejected ? ' rejected' : ''}`}
      style={{ width: `${size}px`, height: `${size}px` }}
      data-id={item.id}
      data-index={index}
    >
      <button
        type="button"
        class="thumb"
        title={item.originalName}
        aria-label={t('thumb.open', { name: item.originalName })}
        onClick={(e) => onOpen(index, e)}
      >
        {item.links.thumb ? (
          <img
            src={item.links.thumb}
            alt=""
            loading="lazy"
            decoding="async"
            // On a slow link the rows drawn ahead wait for what is on screen (not 'high' for those on
            // screen: that would queue the next page of the list behind them).
            fetchpriority={onScreen ? undefined : 'low'}
            draggable={false}
          />
        ) : (
          <span class="no-thumb">{item.type === 'audio' ? '♪' : item.ext.toUpperCase()}</span>
        )}
        {TYPE_MARK[item.type] && <span class="badge type">{TYPE_MARK[item.type]}</span>}
        {a.rating ? <span class="badge rating">{'★'.repeat(a.rating)}</span> : null}
        {a.rejected && (
          <span class="badge rejected" title={t('reject.rejected')} aria-label={t('reject.rejected')}>
            ✕
          </span>
        )}
        {a.priority && (
          <span class="badge prio" title={t('gallery.priorityBadge')} aria-label={t('gallery.priorityBadge')}>
            ⚑
          </span>
        )}
      </button>
      {stack && (
        <button
          type="button"
          class={`stack-toggle${stack.open ? ' open' : ''}`}
          aria-expanded={stack.open}
          aria-label={t(stack.open ? 'gallery.burstFold' : 'gallery.burstUnfold', { n: String(stack.count) })}
          title={t(stack.open ? 'gallery.burstFold' : 'gallery.burstUnfold', { n: String(stack.count) })}
          onClick={() => onToggleStack?.(item.id)}
        >
          ⧉ {stack.count}
        </button>
      )}
      <button
        type="button"
        class="check"
        role="checkbox"
        aria-checked={selected}
        aria-label={t('thumb.select', { name: item.originalName })}
        onClick={(e) => onSelect(index, e)}
      >
        {selected ? '✓' : ''}
      </button>
    </div>
  );
}
