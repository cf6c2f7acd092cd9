import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';

interface Transfer {
  rendition: string;
  state: 'pending' | 'uploading' | 'done' | 'cancelled';
  offset: number;
  size: number | null;
  attempts: number;
  lastError: string | null;
}

function summary(t: Transfer[]): string {
  if (t.length === 0) return 'not queued';
  const original = t.find((x) => x.rendition === 'original');
  if (t.every((x) => x.state === 'done')) return 'all at HQ';
  if (original?.state === 'done') return 'original at HQ';
  if (original?.state === 'uploading' && original.size)
    return `original ${Math.floor((100 * original.offset) / original.size)} % at HQ`;
  const sent = t.filter((x) => x.state === 'done').map((x) => x.rendition);
  return sent.length ? `${sent.join(', ')} at HQ; original queued` : 'queued';
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
      <dt>HQ</dt>
      <dd>
        {summary(t)}
        {err && <small class="error"> (last try: {err.lastError})</small>}
      </dd>
    </div>
  );
}
