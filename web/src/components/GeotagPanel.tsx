import { useState } from 'preact/hooks';
import { api } from '../api';
import type { Filters } from '../filters';
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
}

interface Props {
  /** The gallery's filters: only those items are geotagged. */
  filters: Filters;
  onApplied(items: { id: string; attributes: Attributes }[]): void;
}

/** The GPX file's size limit of the server (GPX_MAX_CHARS). */
const MAX_BYTES = 5 * 1024 * 1024;
const SHOWN = 20;

const num = (s: string): number => (s.trim() === '' ? 0 : Number(s));

/**
 * Geotag by GPX track: items of the current filter without GPS get the track's position at
 * their capture time (POST /api/geotag/preview, then /apply with the previewed positions).
 */
export function GeotagPanel({ filters, onApplied }: Props) {
  const [gpx, setGpx] = useState<{ name: string; text: string } | null>(null);
  // Camera clock zone; East Africa by default.
  const [hours, setHours] = useState('3');
  const [minutes, setMinutes] = useState('0');
  const [drift, setDrift] = useState('0');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');

  const offsetMinutes = (): number => {
    const h = num(hours);
    const m = num(minutes);
    return h < 0 || hours.trim().startsWith('-') ? h * 60 - m : h * 60 + m;
  };

  const changed = (): void => {
    setPreview(null);
    setMessage('');
  };

  const pick = (e: Event): void => {
    changed();
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return setGpx(null);
    if (file.size > MAX_BYTES) {
      setGpx(null);
      return setMessage('The GPX file is larger than 5 MB.');
    }
    file
      .text()
      .then((text) => setGpx({ name: file.name, text }))
      .catch(() => setMessage('The file could not be read.'));
  };

  const run = (e: Event): void => {
    e.preventDefault();
    if (!gpx) return;
    const offset = offsetMinutes();
    const driftSeconds = num(drift);
    if (!Number.isInteger(offset) || !Number.isFinite(driftSeconds))
      return setMessage('Offset and drift must be numbers.');
    setBusy(true);
    setMessage('');
    api<Preview>('POST', '/api/geotag/preview', {
      gpx: gpx.text,
      offsetMinutes: offset,
      driftSeconds,
      filter: filters,
    })
      .then(setPreview)
      .catch((err: Error) => setMessage(`No preview: ${err.message}`))
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
        setMessage(`Location set on ${r.updated} item(s).`);
      })
      .catch((err: Error) => setMessage(`Not saved: ${err.message}`))
      .finally(() => setBusy(false));
  };

  const field = (set: (v: string) => void) => (e: Event) => {
    set((e.target as HTMLInputElement).value);
    changed();
  };

  return (
    <details class="geotag edit-only">
      <summary>Geotag from GPX</summary>
      <form onSubmit={run} aria-label="Geotag by GPX track">
        <label>
          GPX file
          <input type="file" name="gpx" accept=".gpx,application/gpx+xml" onChange={pick} />
        </label>
        <label title="The time zone the camera clock was set to, e.g. +3 h for East Africa">
          Camera clock UTC+ h
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
          min
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
        <label title="Seconds the camera clock was ahead of the true time (negative: behind)">
          Clock ahead by s
          <input type="number" name="drift" step={1} value={drift} onInput={field(setDrift)} />
        </label>
        <button type="submit" disabled={busy || !gpx}>
          Preview
        </button>
        {preview && (
          <button type="button" disabled={busy || preview.matched.length === 0} onClick={apply}>
            Apply to {preview.matched.length}
          </button>
        )}
      </form>
      {message && <p role="status">{message}</p>}
      {preview && (
        <div class="geotag-preview" role="status">
          <p>
            Track {preview.track.start.slice(0, 16).replace('T', ' ')} –{' '}
            {preview.track.end.slice(0, 16).replace('T', ' ')} UTC, {preview.track.points} points.{' '}
            {preview.matched.length} item(s) get a position; {preview.unmatched} without GPS are outside the
            track; {preview.skippedHasGps + preview.skippedHasLocation} already have one.
          </p>
          {preview.matched.length > 0 && (
            <ul>
              {preview.matched.slice(0, SHOWN).map((m) => (
                <li key={m.id}>
                  {m.capturedAt.replace('T', ' ')} → {m.lat.toFixed(5)}, {m.lon.toFixed(5)}
                </li>
              ))}
              {preview.matched.length > SHOWN && <li>… and {preview.matched.length - SHOWN} more</li>}
            </ul>
          )}
        </div>
      )}
    </details>
  );
}
