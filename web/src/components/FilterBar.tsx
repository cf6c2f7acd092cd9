import { useEffect, useRef, useState } from 'preact/hooks';
import { listMonitors } from '../api';
import { FILTER_KEYS, type FilterKey, type Filters } from '../filters';
import { t } from '../i18n';
import { navigate, withQuery } from '../router';

interface Props {
  filters: Filters;
}

const set = (changes: Partial<Record<FilterKey, string | null>>): void =>
  navigate(withQuery({ ...changes, item: null } as Record<string, string | null>));

type TextKey = 'event' | 'tag' | 'q';
const TEXT_KEYS: TextKey[] = ['event', 'tag', 'q'];
const FLAGS = [
  ['priority', 'gallery.priority'],
  ['unrated', 'gallery.unrated'],
  ['noEvent', 'gallery.noEvent'],
  ['noLocation', 'gallery.noLocation'],
] as const;

/** How many filters are set besides search and sort (what the collapsed bar's button counts). */
export function activeFilters(f: Filters): number {
  return FILTER_KEYS.filter((k) => k !== 'q' && k !== 'sort' && f[k]).length;
}

/**
 * Filters of the gallery; every change goes into the URL (shareable, survives reload). A compact
 * bar (search, sort, "Filters (n)") whose button opens the other filters in a panel, so the grid
 * keeps the screen on a tablet.
 */
export function FilterBar({ filters }: Props) {
  const [monitors, setMonitors] = useState<string[]>([]);
  // Open at first where there is room (a desktop screen), collapsed on a tablet or phone.
  const [open, setOpen] = useState(() => matchMedia('(min-width: 1000px)').matches);
  const [text, setText] = useState<Filters>(filters);
  // A change in the URL (a dropdown, back/forward) updates only the text fields it changed: what
  // is typed in another one and not applied yet stays.
  const shown = useRef<Filters>(filters);
  useEffect(() => {
    const was = shown.current;
    shown.current = filters;
    const next: Filters = { ...text };
    for (const k of TEXT_KEYS) if (filters[k] !== was[k]) next[k] = filters[k];
    setText(next);
  }, [JSON.stringify(filters)]);
  useEffect(() => {
    listMonitors()
      .then((r) => setMonitors(r.monitors.map((m) => m.name)))
      .catch(() => undefined);
  }, []);

  const apply = (e: Event): void => {
    e.preventDefault();
    set({ event: text.event?.trim() || null, tag: text.tag?.trim() || null, q: text.q?.trim() || null });
  };
  const textInput = (key: TextKey, label: string) => (
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
  const select = (key: FilterKey, label: string, options: [string, string][]) => (
    <label>
      {label}
      <select
        name={key}
        value={filters[key] ?? ''}
        onChange={(e) => set({ [key]: (e.target as HTMLSelectElement).value || null })}
      >
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
  const count = activeFilters(filters);
  const any = FILTER_KEYS.some((k) => filters[k]);
  const monitorNames = [...new Set([...monitors, ...(filters.monitor ? [filters.monitor] : [])])];

  return (
    <form class={open ? 'filters open' : 'filters'} onSubmit={apply}>
      <div class="filters-bar">
        {textInput('q', t('gallery.search'))}
        <button
          type="button"
          class={count ? 'filters-toggle on' : 'filters-toggle secondary'}
          aria-expanded={open}
          aria-controls="filter-panel"
          onClick={() => setOpen(!open)}
        >
          {count ? t('gallery.filtersCount', { n: String(count) }) : t('gallery.filters')}
        </button>
        {select('sort', t('gallery.sort'), [
          ['', t('gallery.sort.desc')],
          ['asc', t('gallery.sort.asc')],
        ])}
        {filters.bbox && (
          <button type="button" class="secondary map-area" onClick={() => set({ bbox: null })}>
            {t('map.inArea')}
          </button>
        )}
        {any && (
          <button
            type="button"
            class="secondary"
            onClick={() => set(Object.fromEntries(FILTER_KEYS.map((k) => [k, null])))}
          >
            {t('gallery.clear')}
          </button>
        )}
      </div>
      {open && (
        <div class="filter-panel" id="filter-panel">
          {select('type', t('gallery.type'), [
            ['', t('gallery.type.all')],
            ['photo', t('gallery.type.photo')],
            ['video', t('gallery.type.video')],
            ['audio', t('gallery.type.audio')],
          ])}
          {select('monitor', t('gallery.monitor'), [
            ['', t('gallery.monitor.all')],
            ...monitorNames.map((m): [string, string] => [m, m]),
          ])}
          <label>
            {t('gallery.from')}
            <input
              type="date"
              name="from"
              value={filters.from?.slice(0, 10) ?? ''}
              onChange={(e) => set({ from: (e.target as HTMLInputElement).value || null })}
            />
          </label>
          <label>
            {t('gallery.to')}
            <input
              type="date"
              name="to"
              value={filters.to?.slice(0, 10) ?? ''}
              onChange={(e) => set({ to: (e.target as HTMLInputElement).value || null })}
            />
          </label>
          {select('undated', t('gallery.dated'), [
            ['', t('gallery.dated.any')],
            ['exclude', t('gallery.dated.with')],
            ['only', t('gallery.dated.without')],
          ])}
          {textInput('event', t('gallery.event'))}
          {select('minRating', t('gallery.rating'), [
            ['', t('gallery.rating.any')],
            ...[1, 2, 3, 4, 5].map((n): [string, string] => [String(n), `${'★'.repeat(n)}+`]),
          ])}
          {textInput('tag', t('gallery.tag'))}
          {FLAGS.map(([key, label]) => (
            <label key={key} class="check">
              <input
                type="checkbox"
                name={key}
                checked={filters[key] === 'true'}
                onChange={(e) => set({ [key]: (e.target as HTMLInputElement).checked ? 'true' : null })}
              />
              {t(label)}
            </label>
          ))}
          <label>
            {t('reject.filter')}
            <select
              name="rejected"
              value={filters.rejected ?? ''}
              onChange={(e) => set({ rejected: (e.target as HTMLSelectElement).value || null })}
            >
              <option value="">{t('reject.filter.exclude')}</option>
              <option value="include">{t('reject.filter.include')}</option>
              <option value="only">{t('reject.filter.only')}</option>
            </select>
          </label>
          <label class="check">
            <input
              type="checkbox"
              name="recordings"
              checked={filters.recordings === 'include'}
              onChange={(e) => set({ recordings: (e.target as HTMLInputElement).checked ? 'include' : null })}
            />
            {t('events.filter.recordings')}
          </label>
          <button type="submit" class="secondary">
            {t('gallery.apply')}
          </button>
          <button type="button" onClick={() => setOpen(false)}>
            {t('gallery.done')}
          </button>
        </div>
      )}
    </form>
  );
}
