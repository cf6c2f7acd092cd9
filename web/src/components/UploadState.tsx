import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { t as tr } from '../i18n';

interface Transfer {
  /** `hq`, or the bucket (`s3://bucket/prefix`, `azure://container/prefix`). */
  target: string;
  rendition: string;
  state: 'pending' | 'uploading' | 'done' | 'cancelled';
  offset: number;
  size: number | null;
  attempts: number;
  lastError: string | null;
}

function summary(t: Transfer[], where: string): string {
  if (t.length === 0) return tr('upload.notQueued');
  const original = t.find((x) => x.rendition === 'original');
  if (t.every((x) => x.state === 'done')) return tr('upload.allAt', { where });
  if (original?.state === 'done') return tr('upload.originalAt', { where });
  if (original?.state === 'uploading' && original.size)
    return tr('upload.originalPct', {
      pct: String(Math.floor((100 * original.offset) / original.size)),
      where,
    });
  const sent = t.filter((x) => x.state === 'done').map((x) => x.rendition);
  return sent.length ? tr('upload.someAt', { what: sent.join(', '), where }) : tr('upload.queued');
}

/**
 * Where this item's uploads stand (GET /api/items/{id} → uplink): one line per target the
 * station sends to (HQ, or a bucket named by its address).
 */
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
  const targets = [...new Set(t.map((x) => x.target))];
  if (targets.length === 0) targets.push('hq');
  return (
    <>
      {targets.map((target) => {
        const mine = t.filter((x) => x.target === target);
        const where = target === 'hq' ? tr('upload.hqWhere') : target;
        const err = mine.find((x) => x.lastError && x.state !== 'done');
        return (
          <div class="upload-state" data-target={target} data-upload={summary(mine, where)} key={target}>
            <dt>{target === 'hq' ? tr('upload.hq') : tr('upload.store')}</dt>
            <dd>
              {summary(mine, where)}
              {err && <small class="error"> {tr('upload.lastTry', { message: err.lastError ?? '' })}</small>}
            </dd>
          </div>
        );
      })}
    </>
  );
}
