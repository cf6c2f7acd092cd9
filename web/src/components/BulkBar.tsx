import { useState } from 'preact/hooks';
import type { AttributePatch } from '../types';
import { LocationFields, parseLocation } from './LocationFields';
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
  const [lat, setLat] = useState('');
  const [lon, setLon] = useState('');
  const [problem, setProblem] = useState('');
  const apply = (e: Event): void => {
    e.preventDefault();
    const patch: AttributePatch = {};
    const loc = parseLocation(lat, lon);
    if (typeof loc === 'string') return setProblem(loc);
    setProblem('');
    if (loc) patch.location = loc;
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
      <span class="edit-only">
        <LocationFields
          prefix="bulk-"
          lat={lat}
          lon={lon}
          onChange={(la, lo) => {
            setLat(la);
            setLon(lo);
          }}
          onProblem={setProblem}
        />
      </span>
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
      {problem && (
        <span class="error" role="alert">
          {problem}
        </span>
      )}
      {message && (
        <span class="bulk-msg" role="status">
          {message}
        </span>
      )}
    </form>
  );
}
