import type { Ref } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';
import { showToast } from '../toast';
import type { AttributePatch, Attributes } from '../types';
import { LocationFields, parseLocation } from './LocationFields';
import { Stars } from './Stars';

/** What leaving the item would lose: a patch to save, nothing (null), or a problem to fix first. */
export type Pending = () => AttributePatch | null | { problem: string };

interface Props {
  attributes: Attributes;
  canEdit: boolean;
  onSave(patch: AttributePatch): Promise<boolean>;
  pending?: Ref<Pending | null>;
}

const tagsText = (t: string[]): string => t.join(', ');
const parseTags = (s: string): string[] =>
  s
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** The attributes, read-only: what a viewer sees. */
function ReadOnly({ a }: { a: Attributes }) {
  const none = t('edit.none');
  const rows: [string, string][] = [
    [t('edit.rating'), a.rating ? '★'.repeat(a.rating) : none],
    [t('edit.priority'), a.priority ? t('edit.yes') : t('edit.no')],
    [t('edit.event'), a.event ?? none],
    [t('edit.tags'), a.tags.length ? a.tags.join(', ') : none],
    [t('edit.notes'), a.notes ?? none],
  ];
  return (
    <div class="attrs read-only">
      <p class="hint">{t('edit.readOnly')}</p>
      <dl class="facts">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** The attributes people set on one item. Rating and priority save at once; text on Save. */
export function AttributeForm({ attributes: a, canEdit, onSave, pending }: Props) {
  const [event, setEvent] = useState(a.event ?? '');
  const [tags, setTags] = useState(tagsText(a.tags));
  const [notes, setNotes] = useState(a.notes ?? '');
  const [lat, setLat] = useState(a.location ? String(a.location.lat) : '');
  const [lon, setLon] = useState(a.location ? String(a.location.lon) : '');
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setEvent(a.event ?? '');
    setTags(tagsText(a.tags));
    setNotes(a.notes ?? '');
    setLat(a.location ? String(a.location.lat) : '');
    setLon(a.location ? String(a.location.lon) : '');
    setProblem('');
  }, [a]);

  const unsaved = (): AttributePatch | null | { problem: string } => {
    const patch: AttributePatch = {};
    if (event.trim() !== (a.event ?? '')) patch.event = event.trim() || null;
    if (tagsText(parseTags(tags)) !== tagsText(a.tags)) patch.tags = parseTags(tags);
    if (notes !== (a.notes ?? '')) patch.notes = notes || null;
    const loc = parseLocation(lat, lon);
    if (typeof loc === 'string') return { problem: loc };
    if (loc ? loc.lat !== a.location?.lat || loc.lon !== a.location?.lon : a.location) patch.location = loc;
    return Object.keys(patch).length ? patch : null;
  };
  if (pending) (pending as { current: Pending | null }).current = canEdit ? unsaved : null;
  useEffect(
    () => () => {
      if (pending) (pending as { current: Pending | null }).current = null;
    },
    [],
  );

  if (!canEdit) return <ReadOnly a={a} />;

  const send = (patch: AttributePatch): void => {
    setBusy(true);
    void onSave(patch).finally(() => setBusy(false));
  };
  const save = (e: Event): void => {
    e.preventDefault();
    const p = unsaved();
    if (p && 'problem' in p) {
      setProblem(p.problem as string);
      showToast({ text: p.problem as string, kind: 'error' });
      return;
    }
    setProblem('');
    if (p) send(p);
  };

  return (
    <form class="attrs" onSubmit={save}>
      <div class="field">
        <span>{t('form.rating')}</span>
        <Stars value={a.rating} disabled={busy} onChange={(r) => send({ rating: r })} />
      </div>
      <label class="check-field">
        <input
          type="checkbox"
          name="priority"
          checked={a.priority}
          disabled={busy}
          onChange={(e) => send({ priority: (e.target as HTMLInputElement).checked })}
        />
        {t('form.priority')}
      </label>
      <label>
        {t('edit.event')}
        <input name="event" value={event} onInput={(e) => setEvent((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        {t('form.tags')}
        <input name="tags" value={tags} onInput={(e) => setTags((e.target as HTMLInputElement).value)} />
      </label>
      <label>
        {t('edit.notes')}
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
        {t('form.save')}
      </button>
    </form>
  );
}
