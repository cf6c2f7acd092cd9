import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t as tr } from '../i18n';

interface Transfer {
  rendition: string;
  state: 'pending' | 'uploading' | 'done' | 'cancelled';
  offset: number;
  size: number | null;
  attempts: number;
  lastError: string | null;
}

function summary(t: Transfer[]): string {
  if (t.length === 0) return tr('upload.notQueued');
  const original = t.find((x) => x.rendition === 'original');
  if (t.every((x) => x.state === 'done')) return tr('upload.allAtHq');
  if (original?.state === 'done') return tr('upload.originalAtHq');
  if (original?.state === 'uploading' && original.size)
    return tr('upload.originalPct', { pct: String(Math.floor((100 * original.offset) / original.size)) });
  const sent = t.filter((x) => x.state === 'done').map((x) => x.rendition);
  return sent.length ? tr('upload.someAtHq', { what: sent.join(', ') }) : tr('upload.queued');
}

/** Where this item's upload to HQ stands (GET /api/items/{id} → uplink). */
export function UploadState({ id }: { id: string }) {
  const [t, setT] = useState<Transfer[] | null>(null);
  useEffect(() => {
    let alive = true;
    setT(null);
    api<{ uplink: Transfer[] }>('GET', `/api/items/${id}`)
      .then((d) => alive && setT(d.uplink))
      .catch(() => alive && setT(null));
    return () => {
      alive = false;
    };
  }, [id]);
  if (!t) return null;
  const err = t.find((x) => x.lastError && x.state !== 'done');
  return (
    <div class="upload-state" data-upload={summary(t)}>
      <dt>{tr('upload.hq')}</dt>
      <dd>
        {summary(t)}
        {err && <small class="error"> {tr('upload.lastTry', { message: err.lastError ?? '' })}</small>}
      </dd>
    </div>
  );
}
