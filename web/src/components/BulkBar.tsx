import { useState } from 'preact/hooks';
import type { AttributePatch } from '../types';
import { Stars } from './Stars';

interface Props {
  count: number;
  busy: boolean;
  message: string;
  onApply(patch: AttributePatch): void;
  onSelectAll(): void;
  onClear(): void;
}

/** Edit the selected items at once (POST /api/items/batch). */
export function BulkBar({ count, busy, message, onApply, onSelectAll, onClear }: Props) {
  const [event, setEvent] = useState('');
  const [tags, setTags] = useState('');
  const apply = (e: Event): void => {
    e.preventDefault();
    const patch: AttributePatch = {};
    if (event.trim()) patch.event = event.trim();
    if (tags.trim())
      patch.tags = tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
    if (Object.keys(patch).length) onApply(patch);
  };
  return (
    <form class="bulk" onSubmit={apply} aria-label="Edit selected items">
      <strong class="count">{count} selected</strong>
      <label class="edit-only">
        Event
        <input
          name="bulk-event"
          value={event}
          onInput={(e) => setEvent((e.target as HTMLInputElement).value)}
        />
      </label>
      <label class="edit-only">
        Tags (replace)
        <input name="bulk-tags" value={tags} onInput={(e) => setTags((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" class="edit-only" disabled={busy}>
        Apply to {count}
      </button>
      <span class="edit-only">
        <Stars value={null} disabled={busy} onChange={(r) => onApply({ rating: r })} />
      </span>
      <button
        type="button"
        class="secondary edit-only"
        disabled={busy}
        onClick={() => onApply({ priority: true })}
      >
        Priority
      </button>
      <button
        type="button"
        class="secondary edit-only"
        disabled={busy}
        onClick={() => onApply({ priority: false })}
      >
        Not priority
      </button>
      <button type="button" class="secondary" disabled={busy} onClick={onSelectAll}>
        Select all in filter
      </button>
      <button type="button" class="secondary" onClick={onClear}>
        Clear selection
      </button>
      {message && (
        <span class="bulk-msg" role="status">
          {message}
        </span>
      )}
    </form>
  );
}
