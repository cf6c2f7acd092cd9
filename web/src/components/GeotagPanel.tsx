import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { errorText } from '../error-text';
import type { Filters } from '../filters';
import { formatUtcOffset, t, tn } from '../i18n';
import type { Attributes } from '../types';

interface Match {
  id: string;
  capturedAt: string;
  lat: number;
  lon: number;
}

interface Preview {
  matched: Match[];
  unmatched: number;
  skippedHasGps: number;
  skippedHasLocation: number;
  track: { start: string; end: string; points: number };
  /** The offset that matches the most photos (server: core/gpx.ts bestOffset). */
  bestOffset?: { offsetMinutes: number; matched: number };
}

interface Props {
  /** The gallery's filters: only those items are geotagged. */
  filters: Filters;
  onApplied(items: { id: string; attributes: Attributes }[]): void;
}

/** The GPX file's size limit of the server (GPX_MAX_CHARS). */
const MAX_BYTES = 5 * 1024 * 1024;
const SHOWN = 20;
/** Quiet time after the last change of the offset before the count is asked again. */
const LIVE_DELAY_MS = 350;

const num = (s: string): number => (s.trim() === '' ? 0 : Number(s));

/** Minutes `timeZone` is ahead of UTC at `at` (−300 for America/Lima); undefined if unknown. */
export function zoneOffsetMinutes(timeZone: string, at = Date.now()): number | undefined {
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(at)
      .find((p) => p.type === 'timeZoneName')?.value;
    if (name === 'GMT') return 0;
    const m = /^GMT([+-])(\d{1,2})(?::(\d{2}))?$/.exec(name ?? '');
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : undefined;
  } catch {
    return undefined;
  }
}

/** The two fields (hours, minutes) of an offset in minutes: −330 → "-5", "30"; −30 → "-0", "30". */
function fieldsOf(offset: number): [string, string] {
  const h = Math.trunc(offset / 60);
  return [offset < 0 && h === 0 ? '-0' : String(h), String(Math.abs(offset % 60))];
}

/**
 * Geotag by GPX track: items of the current filter without GPS get the track's position at
 * their capture time (POST /api/geotag/preview, then /apply with the previewed positions). The
 * camera clock defaults to the station's time zone (/api/status timeZone); the matched count
 * follows the offset as it changes, and "find the offset" takes the one matching the most items.
 */
export function GeotagPanel({ filters, onApplied }: Props) {
  const [gpx, setGpx] = useState<{ name: string; text: string } | null>(null);
  // Camera clock zone: the station's, once known (most cameras are set to local time).
  const [hours, setHours] = useState('0');
  const [minutes, setMinutes] = useState('0');
  const [drift, setDrift] = useState('0');
  const [stationZone, setStationZone] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [busy, setBusy] = useState(false);
  const [counting, setCounting] = useState(false);
  const [message, setMessage] = useState('');
  /** The user changed the offset: the station's zone no longer overrides it. */
  const touched = useRef(false);
  /** Only the answer to the latest request is shown. */
  const seq = useRef(0);

  const offsetMinutes = (): number => {
    const h = num(hours);
    const m = num(minutes);
    return h < 0 || hours.trim().startsWith('-') ? h * 60 - m : h * 60 + m;
  };
  const setOffset = (offset: number): void => {
    const [h, m] = fieldsOf(offset);
    setHours(h);
    setMinutes(m);
  };

  /** Opening the panel asks the station its time zone (once). */
  const opened = (e: Event): void => {
    if (!(e.target as HTMLDetailsElement).open || stationZone) return;
    api<{ timeZone?: string }>('GET', '/api/status')
      .then((s) => {
        if (!s.timeZone) return;
        setStationZone(s.timeZone);
        const off = zoneOffsetMinutes(s.timeZone);
        if (off !== undefined && !touched.current) setOffset(off);
      })
      .catch(() => undefined);
  };

  const ask = (offset: number): Promise<Preview> =>
    api<Preview>('POST', '/api/geotag/preview', {
      gpx: gpx!.text,
      offsetMinutes: offset,
      driftSeconds: num(drift),
      filter: filters,
    });

  /** Preview with the current offset; `quiet`: the live count (no busy buttons). */
  const runPreview = (quiet: boolean): void => {
    if (!gpx) return;
    const offset = offsetMinutes();
    if (!Number.isInteger(offset) || !Number.isFinite(num(drift))) {
      setPreview(null);
      return setMessage(t('geotag.notNumbers'));
    }
    const n = ++seq.current;
    if (quiet) setCounting(true);
    else {
      setBusy(true);
      setMessage('');
    }
    ask(offset)
      .then((p) => n === seq.current && setPreview(p))
      .catch(
        (err: unknown) => n === seq.current && setMessage(t('geotag.noPreview', { message: errorText(err) })),
      )
      .finally(() => {
        if (n !== seq.current) return;
        setBusy(false);
        setCounting(false);
      });
  };

  // The matched count follows the offset, the drift and the file as they change.
  useEffect(() => {
    if (!gpx) return;
    const timer = setTimeout(() => runPreview(true), LIVE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [gpx, hours, minutes, drift, JSON.stringify(filters)]);

  const pick = (e: Event): void => {
    setPreview(null);
    setMessage('');
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return setGpx(null);
    if (file.size > MAX_BYTES) {
      setGpx(null);
      return setMessage(t('geotag.tooLarge'));
    }
    file
      .text()
      .then((text) => setGpx({ name: file.name, text }))
      .catch(() => setMessage(t('geotag.unreadable')));
  };

  const run = (e: Event): void => {
    e.preventDefault();
    runPreview(false);
  };

  /** Take the offset that places the most items on the track (ties: the nearest to the current one). */
  const find = (): void => {
    if (!gpx) return;
    const n = ++seq.current;
    setBusy(true);
    setMessage('');
    ask(offsetMinutes())
      .then((p) => {
        if (n !== seq.current || !p.bestOffset) return;
        touched.current = true;
        setOffset(p.bestOffset.offsetMinutes);
        setMessage(
          t('geotag.found', {
            zone: formatUtcOffset(p.bestOffset.offsetMinutes),
            n: String(p.bestOffset.matched),
          }),
        );
      })
      .catch((err: unknown) => setMessage(t('geotag.noPreview', { message: errorText(err) })))
      .finally(() => setBusy(false));
  };

  const apply = (): void => {
    if (!preview?.matched.length) return;
    setBusy(true);
    api<{ updated: number; items: { id: string; attributes: Attributes }[] }>('POST', '/api/geotag/apply', {
      assignments: preview.matched.map(({ id, lat, lon }) => ({ id, lat, lon })),
    })
      .then((r) => {
        onApplied(r.items);
        setPreview(null);
        setMessage(tn('geotag.applied', r.updated));
      })
      .catch((err: unknown) => setMessage(t('geotag.notSaved', { message: errorText(err) })))
      .finally(() => setBusy(false));
  };

  const field = (set: (v: string) => void) => (e: Event) => {
    touched.current = true;
    set((e.target as HTMLInputElement).value);
    setMessage('');
  };

  const offset = offsetMinutes();
  const zone = Number.isInteger(offset) ? formatUtcOffset(offset) : '?';
  return (
    <details class="geotag edit-only" onToggle={opened}>
      <summary>{t('geotag.summary')}</summary>
      <form onSubmit={run} aria-label={t('geotag.form')}>
        <label>
          {t('geotag.file')}
          <input type="file" name="gpx" accept=".gpx,application/gpx+xml" onChange={pick} />
        </label>
        <fieldset
          class="geotag-clock"
          title={stationZone ? t('geotag.clockHint', { zone: stationZone }) : undefined}
        >
          <legend class="geotag-zone">{t('geotag.clock', { zone })}</legend>
          <label>
            {t('geotag.hours')}
            <input
              type="number"
              name="offset-hours"
              min={-14}
              max={14}
              step={1}
              value={hours}
              onInput={field(setHours)}
            />
          </label>
          <label>
            {t('geotag.minutes')}
            <input
              type="number"
              name="offset-minutes"
              min={0}
              max={59}
              step={15}
              value={minutes}
              onInput={field(setMinutes)}
            />
          </label>
          <button type="button" class="secondary geotag-find" disabled={busy || !gpx} onClick={find}>
            {t('geotag.find')}
          </button>
        </fieldset>
        <label title={t('geotag.driftHint')}>
          {t('geotag.drift')}
          <input type="number" name="drift" step={1} value={drift} onInput={field(setDrift)} />
        </label>
        <button type="submit" disabled={busy || !gpx}>
          {t('geotag.preview')}
        </button>
        {preview && (
          <button type="button" disabled={busy || counting || preview.matched.length === 0} onClick={apply}>
            {t('geotag.apply', { n: String(preview.matched.length) })}
          </button>
        )}
      </form>
      {gpx && (
        <p
          class="geotag-live"
          aria-live="polite"
          data-matched={preview && !counting ? preview.matched.length : ''}
        >
          {counting || !preview ? t('geotag.matching') : tn('geotag.matched', preview.matched.length)}
        </p>
      )}
      {message && <p role="status">{message}</p>}
      {preview && (
        <div class="geotag-preview" role="status">
          <p>
            {t('geotag.track', {
              start: preview.track.start.slice(0, 16).replace('T', ' '),
              end: preview.track.end.slice(0, 16).replace('T', ' '),
              points: String(preview.track.points),
            })}{' '}
            {t('geotag.counts', {
              matched: String(preview.matched.length),
              unmatched: String(preview.unmatched),
              already: String(preview.skippedHasGps + preview.skippedHasLocation),
            })}
          </p>
          {preview.matched.length > 0 && (
            <ul>
              {preview.matched.slice(0, SHOWN).map((m) => (
                <li key={m.id}>
                  {m.capturedAt.replace('T', ' ')} → {m.lat.toFixed(5)}, {m.lon.toFixed(5)}
                </li>
              ))}
              {preview.matched.length > SHOWN && (
                <li>{t('geotag.more', { n: String(preview.matched.length - SHOWN) })}</li>
              )}
            </ul>
          )}
        </div>
      )}
    </details>
  );
}
