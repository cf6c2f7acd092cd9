import { useEffect, useState } from 'preact/hooks';
import { ApiError, getSnapshotDay, getSnapshots, makeTimelapse } from '../api';
import { errorText } from '../error-text';
import { formatBytes, formatDateTime, formatNumber, t } from '../i18n';
import { navigate, withQuery } from '../router';
import type { SnapshotCameraStatus, SnapshotDayView, SnapshotsOverview } from '../types';
import { usePageVisible } from '../visibility';

const POLL_MS = 15_000;

/** A snapshot's or timelapse's bytes: the snapshot library's (HQ keeps it apart from the gallery's). */
const itemUrl = (id: string, r: 'thumb' | 'original'): string => `/api/snapshots/items/${id}/${r}`;

function shiftDay(day: string, by: number): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + by);
  return d.toISOString().slice(0, 10);
}

function interval(s: number | null): string {
  if (s === null) return '–';
  return s < 120 ? `${formatNumber(s)} s` : `${formatNumber(Math.round(s / 60))} min`;
}

function CameraRow({ c, selected }: { c: SnapshotCameraStatus; selected: boolean }) {
  const drift = c.clockDriftS;
  return (
    <tr data-camera={c.camera} aria-selected={selected}>
      <th scope="row">
        <a
          href={`/snapshots?camera=${encodeURIComponent(c.camera)}`}
          onClick={(e) => {
            e.preventDefault();
            navigate(`/snapshots?camera=${encodeURIComponent(c.camera)}`);
          }}
        >
          {c.camera}
        </a>
      </th>
      <td data-field="last">
        {c.lastSnapshot ? formatDateTime(Date.parse(c.lastSnapshot.at)) : t('snap.never')}
      </td>
      <td data-field="today">{formatNumber(c.today.snapshots)}</td>
      <td data-field="gaps" class={c.today.gaps.length ? 'warn' : undefined}>
        {c.today.gaps.length
          ? c.today.gaps
              .map((g) =>
                t('snap.gap', {
                  from: formatDateTime(Date.parse(g.from)).slice(-8, -3),
                  to: formatDateTime(Date.parse(g.to)).slice(-8, -3),
                }),
              )
              .join('; ')
          : '0'}
      </td>
      <td data-field="stored">
        {formatBytes(c.storedBytes)} ({formatNumber(c.storedCount)})
      </td>
      <td data-field="days">{formatNumber(c.daysKept)}</td>
      <td data-field="refused" class={c.today.rejected ? 'warn' : undefined}>
        {formatNumber(c.today.rejected)}
      </td>
      <td data-field="clock" class={drift !== null && Math.abs(drift) >= 120 ? 'warn' : undefined}>
        {drift === null
          ? '–'
          : Math.abs(drift) < 2
            ? t('snap.clockOk')
            : t('snap.clockOff', {
                s: formatNumber(Math.abs(Math.round(drift))),
                dir: t(drift > 0 ? 'snap.ahead' : 'snap.behind'),
              })}
      </td>
      <td data-field="timelapses" class={c.timelapses.failed ? 'warn' : undefined}>
        {t('snap.timelapses', {
          done: formatNumber(c.timelapses.done),
          pending: formatNumber(c.timelapses.pending),
          failed: formatNumber(c.timelapses.failed),
        })}
      </td>
    </tr>
  );
}

/** 24 hour cells, each the hour's first thumbnail; an hour without snapshots is marked as a gap. */
function DayStrip({ v }: { v: SnapshotDayView }) {
  const hours = Array.from({ length: 24 }, (_, h) => {
    const hh = String(h).padStart(2, '0');
    return { hh, snaps: v.snapshots.filter((s) => s.local.slice(11, 13) === hh) };
  });
  return (
    <div class="snap-strip" role="list" aria-label={t('snap.strip', { camera: v.camera, day: v.day })}>
      {hours.map(({ hh, snaps }) => {
        const first = snaps.find((s) => s.thumb);
        const label = snaps.length
          ? t('snap.hour', { hour: hh, n: formatNumber(snaps.length) })
          : t('snap.hourEmpty', { hour: hh });
        return (
          <div
            key={hh}
            role="listitem"
            class={`snap-hour${snaps.length ? '' : ' gap'}`}
            data-hour={hh}
            data-count={snaps.length}
            title={label}
          >
            {first ? <img src={itemUrl(first.id, 'thumb')} alt={label} loading="lazy" /> : <span>{hh}</span>}
            <small>{hh}</small>
          </div>
        );
      })}
    </div>
  );
}

function Timelapse({ v, canEdit, onMade }: { v: SnapshotDayView; canEdit: boolean; onMade(): void }) {
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState('');
  const tl = v.timelapse;
  const make = (): void => {
    setBusy(true);
    setMsg(t('snap.making', { camera: v.camera, day: v.day }));
    makeTimelapse(v.camera, v.day)
      .then((r) => {
        setMsg(t('snap.tl.made', { frames: formatNumber(r.frames) }));
        onMade();
      })
      .catch((e: unknown) => setMsg(e instanceof ApiError ? errorText(e) : String(e)))
      .finally(() => setBusy(false));
  };
  return (
    <section class="snap-timelapse" aria-label={t('snap.timelapse')}>
      <h3>{t('snap.timelapse')}</h3>
      {tl?.state === 'done' && tl.id ? (
        <video
          key={tl.id}
          controls
          preload="metadata"
          src={itemUrl(tl.id, 'original')}
          data-timelapse={tl.id}
          data-frames={tl.frames ?? ''}
        />
      ) : tl?.state === 'failed' ? (
        <p class="error">{t('snap.tl.failed', { error: tl.error ?? '' })}</p>
      ) : tl?.state === 'encoding' ? (
        <p>{t('snap.tl.encoding')}</p>
      ) : (
        <p class="hint">{t('snap.tl.none')}</p>
      )}
      {canEdit && v.snapshots.length > 0 && (
        <p>
          <button type="button" disabled={busy} onClick={make}>
            {t(tl?.state === 'done' ? 'snap.tl.remake' : 'snap.tl.make')}
          </button>
        </p>
      )}
      {msg && <p role="status">{msg}</p>}
    </section>
  );
}

function CameraDay({ camera, day, canEdit }: { camera: string; day: string; canEdit: boolean }) {
  const [v, setV] = useState<SnapshotDayView | null>(null);
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    getSnapshotDay(camera, day)
      .then((r) => live && (setV(r), setError('')))
      .catch((e: unknown) => live && setError(e instanceof ApiError ? errorText(e) : String(e)));
    return () => {
      live = false;
    };
  }, [camera, day, tick]);
  const go = (d: string): void => navigate(withQuery({ camera, day: d }));
  const latest = v?.snapshots.filter((s) => s.kept).at(-1);
  return (
    <section class="snap-camera" data-camera={camera} data-day={day}>
      <h2>{camera}</h2>
      <p class="snap-daynav">
        <button type="button" class="secondary" onClick={() => go(shiftDay(day, -1))}>
          ← {t('snap.prev')}
        </button>{' '}
        <label>
          {t('snap.day')}{' '}
          <input type="date" value={day} onChange={(e) => go((e.target as HTMLInputElement).value)} />
        </label>{' '}
        <button type="button" class="secondary" onClick={() => go(shiftDay(day, 1))}>
          {t('snap.next')} →
        </button>
      </p>
      {error && <p class="error">{error}</p>}
      {v && (
        <>
          {latest && (
            <figure class="snap-latest">
              <img
                src={itemUrl(latest.id, 'original')}
                alt={t('snap.latest', { camera, at: formatDateTime(Date.parse(latest.at)) })}
              />
              <figcaption>
                {t('snap.latest', { camera, at: formatDateTime(Date.parse(latest.at)) })}
              </figcaption>
            </figure>
          )}
          <p data-field="count">
            {t('snap.count', { n: formatNumber(v.snapshots.length), interval: interval(v.intervalS) })}
          </p>
          <DayStrip v={v} />
          <ul class="snap-gaps" aria-label={t('snap.col.gaps')}>
            {v.gaps.length === 0 && <li>{t('snap.noGaps')}</li>}
            {v.gaps.map((g) => (
              <li key={g.from} class="warn" data-gap={`${g.fromLocal}-${g.toLocal}`}>
                {t('snap.gap', { from: g.fromLocal, to: g.toLocal })}
              </li>
            ))}
          </ul>
          {v.rejected.map((r) => (
            <p key={r.reason} class="warn">
              {t('snap.refused', { n: formatNumber(r.n), reason: r.reason, message: r.lastMessage })}
            </p>
          ))}
          <Timelapse v={v} canEdit={canEdit} onMade={() => setTick((x) => x + 1)} />
        </>
      )}
    </section>
  );
}

/** Each snapshot camera's state, one row each (the Snapshots page and the Status page). */
export function SnapshotCameraTable({
  cameras,
  selected,
}: {
  cameras: SnapshotCameraStatus[];
  selected: string | null;
}) {
  return (
    <table class="snap-cameras">
      <thead>
        <tr>
          <th scope="col">{t('snap.col.camera')}</th>
          <th scope="col">{t('snap.col.last')}</th>
          <th scope="col">{t('snap.col.today')}</th>
          <th scope="col">{t('snap.col.gaps')}</th>
          <th scope="col">{t('snap.col.stored')}</th>
          <th scope="col">{t('snap.col.days')}</th>
          <th scope="col">{t('snap.col.refused')}</th>
          <th scope="col">{t('snap.col.clock')}</th>
          <th scope="col">{t('snap.col.timelapses')}</th>
        </tr>
      </thead>
      <tbody>
        {cameras.map((c) => (
          <CameraRow key={c.camera} c={c} selected={c.camera === selected} />
        ))}
      </tbody>
    </table>
  );
}

/** The Status page's block: every snapshot camera, polled; nothing when the station takes none. */
export function SnapshotStatusPanel() {
  const [o, setO] = useState<SnapshotsOverview | null>(null);
  const visible = usePageVisible();
  useEffect(() => {
    if (!visible) return;
    let live = true;
    const load = (): void => {
      getSnapshots()
        .then((r) => live && setO(r))
        .catch(() => live && setO(null));
    };
    load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [visible]);
  if (!o || o.cameras.length === 0) return null;
  return (
    <section class="snap-status" aria-label={t('snap.title')}>
      <h2>{t('snap.title')}</h2>
      <SnapshotCameraTable cameras={o.cameras} selected={null} />
    </section>
  );
}

/** The Snapshots page: every IP camera's state, then one camera's day (latest, strip, timelapse). */
export function SnapshotsPage({ query, canEdit }: { query: URLSearchParams; canEdit: boolean }) {
  const [o, setO] = useState<SnapshotsOverview | null>(null);
  const [error, setError] = useState('');
  const visible = usePageVisible();
  useEffect(() => {
    if (!visible) return;
    let live = true;
    const load = (): void => {
      getSnapshots()
        .then((r) => live && (setO(r), setError('')))
        .catch((e: unknown) => {
          if (!live) return;
          if (e instanceof ApiError && e.status === 404) setError(t('snap.none'));
          else setError(e instanceof ApiError ? errorText(e) : String(e));
        });
    };
    load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [visible]);
  const camera = query.get('camera') ?? o?.cameras[0]?.camera ?? null;
  const cam = o?.cameras.find((c) => c.camera === camera);
  const day = query.get('day') ?? cam?.today.day ?? null;
  const rejected = o?.ftp ? Object.values(o.ftp.rejected).reduce((a, b) => a + b, 0) : 0;
  return (
    <main class="page snapshots">
      <h1>{t('snap.title')}</h1>
      {error && <p class="error">{error}</p>}
      {o && o.cameras.length === 0 && <p class="hint">{t('snap.noDrive')}</p>}
      {o?.ftp && (
        <p data-field="ftp">
          {t('snap.ftp', {
            connections: formatNumber(o.ftp.connections),
            accepted: formatNumber(o.ftp.accepted),
            refused: formatNumber(rejected),
            blocked: formatNumber(o.ftp.loginsBlocked),
          })}
        </p>
      )}
      {o?.pulls
        .filter((p) => p.lastError)
        .map((p) => (
          <p key={p.camera} class="warn">
            {t('snap.pullError', {
              camera: p.camera,
              error: p.lastError ?? '',
              n: formatNumber(p.consecutiveFailures),
            })}
          </p>
        ))}
      {o?.timelapse && <p role="status">{t('snap.making', o.timelapse)}</p>}
      {o && o.cameras.length > 0 && <SnapshotCameraTable cameras={o.cameras} selected={camera} />}
      {camera && day && <CameraDay camera={camera} day={day} canEdit={canEdit} />}
    </main>
  );
}
