import { useEffect, useState } from 'preact/hooks';
import type { AttributePatch, Attributes } from '../types';
import { Stars } from './Stars';

interface Props {
  attributes: Attributes;
  busy: boolean;
  onSave(patch: AttributePatch): void;
}

const tagsText = (t: string[]): string => t.join(', ');
const parseTags = (s: string): string[] =>
  s
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** The attributes people set on one item. Rating and priority save at once; text on Save. */
export function AttributeForm({ attributes: a, busy, onSave }: Props) {
  const [event, setEvent] = useState(a.event ?? '');
  const [tags, setTags] = useState(tagsText(a.tags));
  const [notes, setNotes] = useState(a.notes ?? '');
  const [lat, setLat] = useState(a.location ? String(a.location.lat) : '');
  const [lon, setLon] = useState(a.location ? String(a.location.lon) : '');
  const [problem, setProblem] = useState('');
  useEffect(() => {
    setEvent(a.event ?? '');
    setTags(tagsText(a.tags));
    setNotes(a.notes ?? '');
    setLat(a.location ? String(a.location.lat) : '');
    setLon(a.location ? String(a.location.lon) : '');
    setProblem('');
  }, [a]);

  const save = (e: Event): void => {
    e.preventDefault();
    const patch: AttributePatch = {};
    if (event.trim() !== (a.event ?? '')) patch.event = event.trim() || null;
    if (tagsText(parseTags(tags)) !== tagsText(a.tags)) patch.tags = parseTags(tags);
    if (notes !== (a.notes ?? '')) patch.notes = notes || null;
    const hasLoc = lat.trim() !== '' || lon.trim() !== '';
    if (hasLoc) {
      const la = Number(lat);
      const lo = Number(lon);
      if (!Number.isFinite(la) || !Number.isFinite(lo) || Math.abs(la) > 90 || Math.abs(lo) > 180)
        return setProblem('Latitude must be -90..90 and longitude -180..180.');
      if (la !== a.location?.lat || lo !== a.location?.lon) patch.location = { lat: la, lon: lo };
    } else if (a.location) patch.location = null;
    setProblem('');
    if (Object.keys(patch).length) onSave(patch);
  };

  const here = (): void => {
    if (!navigator.geolocation) return setProblem('This device cannot tell its location.');
    navigator.geolocation.getCurrentPosition(
      (p) => {
        setLat(p.coords.latitude.toFixed(6));
        setLon(p.coords.longitude.toFixed(6));
      },
      (err) => setProblem(`No location: ${err.message}`),
      { enableHighAccuracy: true, timeout: 15000 },
    );
  };

  return (
    <form class="attrs edit-only" onSubmit={save}>
      <div class="field">
        <span>Rating</span>
        <Stars value={a.rating} disabled={busy} onChange={(r) => onSave({ rating: r })} />
      </div>
      <label class="check-field">
        <input
          type="checkbox"
          name="priority"
          checked={a.priority}
          disabled={busy}
          onChange={(e) => onSave({ priority: (e.target as HTMLInputElement).checked })}
        />
        Priority (upload first)
      </label>
      <label>
        Event
        <input name="event" value={event} onInput={(e) => setEvent((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        Tags (comma-separated)
        <input name="tags" value={tags} onInput={(e) => setTags((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        Notes
        <textarea
          name="notes"
          rows={3}
          value={notes}
          onInput={(e) => setNotes((e.target as HTMLTextAreaElement).value)}
        />
      </label>
      <div class="field loc">
        <label>
          Latitude
          <input
            name="lat"
            inputMode="decimal"
            value={lat}
            onInput={(e) => setLat((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Longitude
          <input
            name="lon"
            inputMode="decimal"
            value={lon}
            onInput={(e) => setLon((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="button" class="secondary" onClick={here}>
          Use this device's location
        </button>
      </div>
      {problem && <p class="error">{problem}</p>}
      <button type="submit" disabled={busy}>
        Save
      </button>
    </form>
  );
}
