import { useState } from 'preact/hooks';
import type { BatchOptions } from '../api';
import { listTags } from '../api';
import { t } from '../i18n';
import type { AttributePatch } from '../types';
import { LocationFields, parseLocation } from './LocationFields';
import { Stars } from './Stars';

interface Props {
  count: number;
  /** Selected items (among those loaded) whose file carries its own GPS position. */
  ownGps: number;
  busy: boolean;
  message: string;
  onApply(patch: AttributePatch, opts?: BatchOptions): void;
  onSelectAll(): void;
  onClear(): void;
  /** Show the selected photos side by side (2 to 4 of them). */
  onCompare?(): void;
  /** Download the selection's metadata and attributes as CSV. */
  onExportCsv?(): void;
  /** Download a zip of the selection's originals or previews. */
  onExportZip?(content: 'originals' | 'previews'): void;
  /** Delete the selection's rejected items (asks first). */
  onDeleteRejected?(): void;
  /** Open "Fix camera clock…" for the selection. */
  onFixClock?(): void;
  /** Make a take-away set of the selection (the offline page). */
  onTakeOffline?(): void;
}

/** The library's tags that start with what is typed: a datalist for the tag fields. */
function useTagSuggestions(): [string[], (prefix: string) => void] {
  const [tags, setTags] = useState<string[]>([]);
  const ask = (prefix: string): void => {
    listTags(prefix.trim())
      .then((r) => setTags(r.tags.map((x) => x.tag)))
      .catch(() => undefined);
  };
  return [tags, ask];
}

/** Edit the selected items at once (POST /api/items/batch). */
export function BulkBar({
  count,
  ownGps,
  busy,
  message,
  onApply,
  onSelectAll,
  onClear,
  onCompare,
  onExportCsv,
  onExportZip,
  onDeleteRejected,
  onFixClock,
  onTakeOffline,
}: Props) {
  const [event, setEvent] = useState('');
  const [tag, setTag] = useState('');
  const [lat, setLat] = useState('');
  const [lon, setLon] = useState('');
  const [overwrite, setOverwrite] = useState(false);
  const [problem, setProblem] = useState('');
  const [suggestions, suggest] = useTagSuggestions();
  const apply = (e: Event): void => {
    e.preventDefault();
    const patch: AttributePatch = {};
    const opts: BatchOptions = {};
    const loc = parseLocation(lat, lon);
    if (typeof loc === 'string') return setProblem(loc);
    setProblem('');
    if (loc) {
      patch.location = { ...loc, source: 'hand' };
      opts.overwriteGps = overwrite;
    }
    if (event.trim()) patch.event = event.trim();
    if (Object.keys(patch).length) onApply(patch, opts);
  };
  /** One tag added to (or taken off) every selected item; their other tags stay. */
  const tagAction = (which: 'addTags' | 'removeTags'): void => {
    if (tag.trim()) onApply({}, { [which]: [tag.trim()] });
  };
  return (
    <form class="bulk" onSubmit={apply} aria-label={t('bulk.label')}>
      <strong class="count">{t('bulk.selected', { n: String(count) })}</strong>
      {onExportCsv && (
        <button type="button" class="secondary export-csv" disabled={busy} onClick={onExportCsv}>
          {t('gallery.exportCsv')}
        </button>
      )}
      {onTakeOffline && (
        <button type="button" class="secondary take-offline" disabled={busy} onClick={onTakeOffline}>
          {t('offline.takeOffline')}
        </button>
      )}
      {onExportZip && (
        <details class="export-zip">
          <summary class="button secondary">{t('export.zip')}</summary>
          <div class="export-zip-menu">
            <button type="button" class="secondary" disabled={busy} onClick={() => onExportZip('originals')}>
              {t('export.zipOriginals')}
            </button>
            <button type="button" class="secondary" disabled={busy} onClick={() => onExportZip('previews')}>
              {t('export.zipPreviews')}
            </button>
          </div>
        </details>
      )}
      {onCompare && (
        <button
          type="button"
          class="secondary compare-button"
          disabled={count < 2 || count > 4}
          title={t('compare.buttonHint')}
          onClick={onCompare}
        >
          {t('compare.button')}
        </button>
      )}
      <label class="edit-only">
        {t('bulk.event')}
        <input
          name="bulk-event"
          value={event}
          onInput={(e) => setEvent((e.target as HTMLInputElement).value)}
        />
      </label>
      <span class="edit-only bulk-tag">
        <label>
          {t('edit.tag')}
          <input
            name="bulk-tag"
            list="bulk-tag-suggestions"
            autocomplete="off"
            value={tag}
            onFocus={() => suggest(tag)}
            onInput={(e) => {
              const v = (e.target as HTMLInputElement).value;
              setTag(v);
              suggest(v);
            }}
          />
        </label>
        {tag.trim() && (
          <>
            <button
              type="button"
              class="secondary"
              name="bulk-add-tag"
              disabled={busy}
              onClick={() => tagAction('addTags')}
            >
              {t('edit.addTag')}
            </button>
            <button
              type="button"
              class="secondary"
              name="bulk-remove-tag"
              disabled={busy}
              onClick={() => tagAction('removeTags')}
            >
              {t('edit.removeTag')}
            </button>
          </>
        )}
      </span>
      <datalist id="bulk-tag-suggestions">
        {suggestions.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
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
      {ownGps > 0 && (lat.trim() || lon.trim()) && (
        <label class="check-field edit-only">
          <input
            type="checkbox"
            name="bulk-overwrite-gps"
            checked={overwrite}
            onChange={(e) => setOverwrite((e.target as HTMLInputElement).checked)}
          />
          {t('edit.overwriteGps', { n: String(ownGps) })}
        </label>
      )}
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
        {t('bulk.priority')}
      </button>
      <button
        type="button"
        class="secondary edit-only"
        disabled={busy}
        onClick={() => onApply({ priority: false })}
      >
        {t('bulk.notPriority')}
      </button>
      <button
        type="button"
        class="secondary edit-only bulk-reject"
        disabled={busy}
        onClick={() => onApply({ rejected: true })}
      >
        {t('reject.reject')}
      </button>
      <button
        type="button"
        class="secondary edit-only bulk-unreject"
        disabled={busy}
        onClick={() => onApply({ rejected: false })}
      >
        {t('reject.unreject')}
      </button>
      {onFixClock && (
        <button type="button" class="secondary edit-only bulk-clock" disabled={busy} onClick={onFixClock}>
          {t('clockfix.button')}
        </button>
      )}
      {onDeleteRejected && (
        <button type="button" class="danger edit-only bulk-delete" disabled={busy} onClick={onDeleteRejected}>
          {t('reject.delete')}
        </button>
      )}
      <button type="button" class="secondary" disabled={busy} onClick={onSelectAll}>
        {t('export.selectAll')}
      </button>
      <button type="button" class="secondary" onClick={onClear}>
        {t('bulk.clear')}
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
