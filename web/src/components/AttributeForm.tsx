import { useEffect, useState } from 'preact/hooks';
import type { AttributePatch, Attributes } from '../types';
import { LocationFields, parseLocation } from './LocationFields';
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
    const loc = parseLocation(lat, lon);
    if (typeof loc === 'string') return setProblem(loc);
    if (loc ? loc.lat !== a.location?.lat || loc.lon !== a.location?.lon : a.location) patch.location = loc;
    setProblem('');
    if (Object.keys(patch).length) onSave(patch);
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
      <LocationFields
        lat={lat}
        lon={lon}
        onChange={(la, lo) => {
          setLat(la);
          setLon(lo);
        }}
        onProblem={setProblem}
      />
      {problem && <p class="error">{problem}</p>}
      <button type="submit" disabled={busy}>
        Save
      </button>
    </form>
  );
}
