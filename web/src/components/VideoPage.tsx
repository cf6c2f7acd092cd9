import { useEffect, useRef, useState } from 'preact/hooks';
import {
  cancelVideoExport,
  getVideoCameras,
  getVideoExports,
  getVideoTimeline,
  startVideoExport,
} from '../api';
import { errorText } from '../error-text';
import { formatNumber, t } from '../i18n';
import { navigate, withQuery } from '../router';
import type { VideoExportJob } from '../types';
import { usePageVisible } from '../visibility';

const DAY_MS = 86_400_000;

/** This tablet's date today, YYYY-MM-DD. */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Local midnight of a YYYY-MM-DD day (this tablet's zone). */
function midnight(day: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime();
}

/** HH:MM:SS of an instant, this tablet's clock. */
function hms(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** The instant of HH:MM[:SS] on `day` (this tablet's zone). */
function atTime(day: string, v: string): number | undefined {
  const m = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(v);
  if (!m) return undefined;
  const [y, mo, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, mo - 1, d, Number(m[1]), Number(m[2]), Number(m[3] ?? 0)).getTime();
}

function Timeline({
  camera,
  day,
  spans,
  sel,
  onSelect,
}: {
  camera: string;
  day: string;
  spans: { from: number; to: number }[];
  sel: { from: number; to: number } | null;
  onSelect(s: { from: number; to: number }): void;
}) {
  const start = midnight(day);
  const length = midnight(new Date(start + DAY_MS + 3_600_000).toISOString().slice(0, 10)) - start || DAY_MS;
  const bar = useRef<HTMLDivElement>(null);
  const drag = useRef<number | null>(null);
  const pct = (ms: number): number => Math.min(100, Math.max(0, ((ms - start) / length) * 100));
  const msAt = (clientX: number): number => {
    const r = bar.current!.getBoundingClientRect();
    // To the second: what the time fields show.
    return Math.round((start + ((clientX - r.left) / r.width) * length) / 1000) * 1000;
  };
  return (
    <div
      class="video-timeline"
      ref={bar}
      aria-label={t('video.timeline', { camera, day })}
      onPointerDown={(e) => {
        (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
        drag.current = msAt(e.clientX);
        onSelect({ from: drag.current, to: drag.current });
      }}
      onPointerMove={(e) => {
        if (drag.current === null) return;
        const at = msAt(e.clientX);
        onSelect({ from: Math.min(drag.current, at), to: Math.max(drag.current, at) });
      }}
      onPointerUp={() => (drag.current = null)}
      onPointerCancel={() => (drag.current = null)}
    >
      {[0, 6, 12, 18].map((h) => (
        <span key={h} class="video-hour" style={{ left: `${(h / 24) * 100}%` }}>
          {String(h).padStart(2, '0')}:00
        </span>
      ))}
      {spans.map((s) => (
        <span
          key={s.from}
          class="video-span"
          title={t('video.recorded', { from: hms(s.from), to: hms(s.to) })}
          style={{ left: `${pct(s.from)}%`, width: `${Math.max(0.2, pct(s.to) - pct(s.from))}%` }}
        />
      ))}
      {sel && sel.to > sel.from ? (
        <span
          class="video-sel"
          style={{ left: `${pct(sel.from)}%`, width: `${pct(sel.to) - pct(sel.from)}%` }}
        />
      ) : null}
    </div>
  );
}

export function JobRow({
  job,
  canEdit,
  onChanged,
}: {
  job: VideoExportJob;
  canEdit: boolean;
  onChanged(): void;
}) {
  const r = job.result;
  return (
    <li class="video-job" data-state={job.state} data-id={job.id}>
      <div>
        <strong>{job.camera}</strong>{' '}
        {job.from && job.to
          ? `${hms(Date.parse(job.from))}–${hms(Date.parse(job.to))}`
          : t('editor.job', { n: String(job.pieces ?? 0), preset: job.preset ?? '' })}{' '}
        <span class="video-state">{t(`video.state.${job.state}`)}</span>
        {job.state === 'running' && job.progress ? (
          <progress max={job.progress.steps} value={job.progress.step} />
        ) : null}
        {canEdit && (job.state === 'queued' || job.state === 'running') ? (
          <button
            type="button"
            class="secondary"
            onClick={() => void cancelVideoExport(job.id).then(onChanged, onChanged)}
          >
            {t('video.cancel')}
          </button>
        ) : null}
      </div>
      {job.state === 'running' && job.streaming ? (
        // Watch it while it is made (a fragmented copy, sent as it is written).
        <video
          class="video-live"
          controls
          muted
          autoplay
          playsInline
          src={`/api/video/exports/${job.id}/stream`}
        />
      ) : null}
      {job.error ? <p class="error">{`${job.error.message} ${job.error.hint}`}</p> : null}
      {r && job.itemId ? (
        <div class="video-result">
          <p>
            {t('video.length', { s: formatNumber(Math.round(r.durationS * 10) / 10) })} ·{' '}
            {r.mode === 'smart'
              ? t('video.exact', { n: formatNumber(r.reencodedPerCut.reduce((a, b) => a + b, 0)) })
              : r.mode === 'keyframe'
                ? t('video.widened', { start: r.widened.start.toFixed(2), end: r.widened.end.toFixed(2) })
                : t('video.reencoded', { reason: r.reason ?? '', encoder: r.encoder ?? 'libx264' })}
          </p>
          {r.encoderNote ? <p class="hint video-encoder-note">{r.encoderNote}</p> : null}
          {r.gaps.length ? (
            <p class="warn">
              {t('video.gaps', {
                list: r.gaps.map((g) => `${hms(Date.parse(g.from))}–${hms(Date.parse(g.to))}`).join(', '),
              })}
            </p>
          ) : null}
          <video controls preload="metadata" src={`/api/items/${job.itemId}/original`} />
          <a
            href={`/?item=${job.itemId}`}
            onClick={(e) => {
              e.preventDefault();
              navigate(`/?item=${job.itemId}`);
            }}
          >
            {t('video.open')}
          </a>
        </div>
      ) : null}
    </li>
  );
}

export function VideoPage({ query, canEdit }: { query: URLSearchParams; canEdit: boolean }) {
  const visible = usePageVisible();
  const [cameras, setCameras] = useState<string[] | null>(null);
  const [spans, setSpans] = useState<{ from: number; to: number }[]>([]);
  const [sel, setSel] = useState<{ from: number; to: number } | null>(null);
  const [mode, setMode] = useState<'smart' | 'keyframe'>('smart');
  const [jobs, setJobs] = useState<VideoExportJob[]>([]);
  const [error, setError] = useState<string | null>(null);
  const day = query.get('day') ?? today();
  const camera = query.get('camera') ?? cameras?.[0] ?? '';

  useEffect(() => {
    getVideoCameras().then(
      (r) => setCameras(r.cameras),
      (e: unknown) => setError(errorText(e)),
    );
  }, []);
  useEffect(() => {
    if (!camera) return;
    const from = midnight(day);
    getVideoTimeline(camera, new Date(from).toISOString(), new Date(from + DAY_MS).toISOString()).then(
      (r) => setSpans(r.spans.map((s) => ({ from: Date.parse(s.from), to: Date.parse(s.to) }))),
      (e: unknown) => setError(errorText(e)),
    );
  }, [camera, day]);
  const refresh = (): void => {
    getVideoExports().then(
      (r) => setJobs(r.exports),
      () => undefined,
    );
  };
  useEffect(refresh, []);
  const active = jobs.some((j) => j.state === 'queued' || j.state === 'running');
  useEffect(() => {
    if (!active || !visible) return;
    const timer = setInterval(refresh, 1000);
    return () => clearInterval(timer);
  }, [active, visible]);

  const go = (q: Record<string, string>): void => navigate(withQuery({ camera, day, ...q }));
  const ok = sel !== null && sel.to > sel.from;
  return (
    <div class="page video-page">
      <h1>{t('video.title')}</h1>
      {error ? <p class="error">{error}</p> : null}
      {cameras && cameras.length === 0 ? <p>{t('video.none')}</p> : null}
      {camera ? (
        <form
          class="video-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!sel || !(sel.to > sel.from)) return setError(t('video.badRange'));
            setError(null);
            startVideoExport({
              camera,
              from: new Date(sel.from).toISOString(),
              to: new Date(sel.to).toISOString(),
              mode,
            }).then(refresh, (err: unknown) => setError(errorText(err)));
          }}
        >
          <div class="row">
            <label>
              {t('video.camera')}{' '}
              <select
                name="video-camera"
                value={camera}
                onChange={(e) => go({ camera: (e.target as HTMLSelectElement).value })}
              >
                {(cameras ?? [camera]).map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t('video.day')}{' '}
              <input
                type="date"
                name="video-day"
                value={day}
                onChange={(e) => {
                  setSel(null);
                  go({ day: (e.target as HTMLInputElement).value || today() });
                }}
              />
            </label>
          </div>
          <Timeline camera={camera} day={day} spans={spans} sel={sel} onSelect={setSel} />
          {spans.length === 0 ? <p class="muted">{t('video.noRecordings')}</p> : null}
          <div class="row">
            <label>
              {t('video.from')}{' '}
              <input
                type="time"
                step="1"
                name="video-from"
                value={sel ? hms(sel.from) : ''}
                onChange={(e) => {
                  const at = atTime(day, (e.target as HTMLInputElement).value);
                  if (at !== undefined) setSel({ from: at, to: Math.max(at, sel?.to ?? at) });
                }}
              />
            </label>
            <label>
              {t('video.to')}{' '}
              <input
                type="time"
                step="1"
                name="video-to"
                value={sel ? hms(sel.to) : ''}
                onChange={(e) => {
                  const at = atTime(day, (e.target as HTMLInputElement).value);
                  if (at !== undefined) setSel({ from: Math.min(sel?.from ?? at, at), to: at });
                }}
              />
            </label>
            <label>
              {t('video.mode')}{' '}
              <select
                name="video-mode"
                value={mode}
                onChange={(e) => setMode((e.target as HTMLSelectElement).value as 'smart' | 'keyframe')}
              >
                <option value="smart">{t('video.mode.smart')}</option>
                <option value="keyframe">{t('video.mode.keyframe')}</option>
              </select>
            </label>
            {canEdit ? (
              <button type="submit" class="video-export" disabled={!ok}>
                {t('video.export')}
              </button>
            ) : null}
          </div>
        </form>
      ) : null}
      <h2>{t('video.exports')}</h2>
      {jobs.length === 0 ? <p class="muted">{t('video.noExports')}</p> : null}
      <ul class="video-jobs">
        {jobs.map((j) => (
          <JobRow key={j.id} job={j} canEdit={canEdit} onChanged={refresh} />
        ))}
      </ul>
    </div>
  );
}
