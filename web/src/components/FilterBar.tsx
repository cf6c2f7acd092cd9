import { useEffect, useState } from 'preact/hooks';
import { listMonitors } from '../api';
import { t } from '../i18n';
import { FILTER_KEYS, type FilterKey, type Filters } from '../filters';
import { navigate, withQuery } from '../router';

interface Props {
  filters: Filters;
}

const set = (changes: Partial<Record<FilterKey, string | null>>): void =>
  navigate(withQuery({ ...changes, item: null } as Record<string, string | null>));

/** Filters of the gallery; every change goes into the URL (shareable, survives reload). */
export function FilterBar({ filters }: Props) {
  const [monitors, setMonitors] = useState<string[]>([]);
  const [text, setText] = useState<Filters>(filters);
  useEffect(() => setText(filters), [JSON.stringify(filters)]);
  useEffect(() => {
    listMonitors()
      .then((r) => setMonitors(r.monitors.map((m) => m.name)))
      .catch(() => undefined);
  }, []);

  const apply = (e: Event): void => {
    e.preventDefault();
    set({ event: text.event ?? null, tag: text.tag ?? null, q: text.q ?? null });
  };
  const textInput = (key: 'event' | 'tag' | 'q', label: string) => (
    <label>
      {label}
      <input
        type={key === 'q' ? 'search' : 'text'}
        name={key}
        value={text[key] ?? ''}
        onInput={(e) => setText({ ...text, [key]: (e.target as HTMLInputElement).value })}
        onChange={(e) => set({ [key]: (e.target as HTMLInputElement).value.trim() || null })}
      />
    </label>
  );
  const any = FILTER_KEYS.some((k) => filters[k]);

  return (
    <form class="filters" onSubmit={apply}>
      {textInput('q', 'Search')}
      <label>
        Type
        <select
          name="type"
          value={filters.type ?? ''}
          onChange={(e) => set({ type: (e.target as HTMLSelectElement).value || null })}
        >
          <option value="">all</option>
          <option value="photo">photos</option>
          <option value="video">videos</option>
          <option value="audio">audio</option>
        </select>
      </label>
      <label>
        Monitor
        <select
          name="monitor"
          value={filters.monitor ?? ''}
          onChange={(e) => set({ monitor: (e.target as HTMLSelectElement).value || null })}
        >
          <option value="">all</option>
          {[...new Set([...monitors, ...(filters.monitor ? [filters.monitor] : [])])].map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label>
        From
        <input
          type="date"
          name="from"
          value={filters.from?.slice(0, 10) ?? ''}
          onChange={(e) => set({ from: (e.target as HTMLInputElement).value || null })}
        />
      </label>
      <label>
        To
        <input
          type="date"
          name="to"
          value={filters.to?.slice(0, 10) ?? ''}
          onChange={(e) => set({ to: (e.target as HTMLInputElement).value || null })}
        />
      </label>
      {textInput('event', 'Event')}
      <label>
        Rating
        <select
          name="minRating"
          value={filters.minRating ?? ''}
          onChange={(e) => set({ minRating: (e.target as HTMLSelectElement).value || null })}
        >
          <option value="">any</option>
          {[1, 2, 3, 4, 5].map((n) => (
            <option key={n} value={String(n)}>
              {'★'.repeat(n)}+
            </option>
          ))}
        </select>
      </label>
      {textInput('tag', 'Tag')}
      <label>
        <input
          type="checkbox"
          name="recordings"
          checked={filters.recordings === 'include'}
          onChange={(e) => set({ recordings: (e.target as HTMLInputElement).checked ? 'include' : null })}
        />
        {t('events.filter.recordings')}
      </label>
      <button type="submit" class="secondary">
        Apply
      </button>
      {any && (
        <button
          type="button"
          class="secondary"
          onClick={() => set(Object.fromEntries(FILTER_KEYS.map((k) => [k, null])))}
        >
          Clear
        </button>
      )}
    </form>
  );
}
