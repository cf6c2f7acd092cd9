import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, listCameras, listMotionEvents } from '../api';
import { errorText } from '../error-text';
import { CameraSettings } from './CameraSettings';
import { formatNumber, t } from '../i18n';
import { navigate } from '../router';
import type { Camera, MotionBox, MotionEvent } from '../types';
import { usePageVisible } from '../visibility';

/** A 1×1 transparent GIF: swapping it in aborts the live request (the browser drops the old one). */
const BLANK = 'data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==';
const POLL_MS = 5000;
const RETRY_MS = 5000;
/** A frame older than this means the camera is down (the server ends live streams then). */
const STALE_MS = 10_000;
/** A motion box not renewed for this long is taken down (the camera stopped telling). */
const BOX_STALE_MS = 5000;

/** The box over the picture as the <img> shows it (object-fit: contain letterboxes it). */
function boxStyle(img: HTMLImageElement | null, b: MotionBox): Record<string, string> | undefined {
  if (!img || !img.clientWidth) return undefined;
  const W = img.clientWidth;
  const H = img.clientHeight;
  const nw = img.naturalWidth || 16;
  const nh = img.naturalHeight || 9;
  const s = Math.min(W / nw, H / nh);
  const [cw, ch] = [nw * s, nh * s];
  const [ox, oy] = [img.offsetLeft + (W - cw) / 2, img.offsetTop + (H - ch) / 2];
  const px = (v: number): string => `${Math.round(v)}px`;
  return {
    left: px(ox + b.x * cw),
    top: px(oy + b.y * ch),
    width: px(Math.max(2, b.w * cw)),
    height: px(Math.max(2, b.h * ch)),
  };
}

function age(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 120
    ? `${formatNumber(s)} s`
    : s < 7200
      ? `${formatNumber(Math.round(s / 60))} min`
      : `${formatNumber(Math.round(s / 3600))} h`;
}

/** The camera's state as the station names it (tests and styles read it from data-state). */
function stateKey(c: Camera): string {
  if (c.state !== 'running') return c.state === 'backoff' ? 'restarting' : c.state;
  if (c.frameAgeMs === null) return 'no picture yet';
  if (c.frameAgeMs > STALE_MS) return 'no picture';
  return 'live';
}

function stateText(c: Camera): string {
  if (c.state !== 'running') {
    const what = t(c.state === 'backoff' ? 'cameras.state.restarting' : `cameras.state.${c.state}`);
    return `${what}${c.error ? `: ${c.error}` : ''}`;
  }
  if (c.frameAgeMs === null) return t('cameras.noPicture');
  if (c.frameAgeMs > STALE_MS) return t('cameras.stale', { age: age(c.frameAgeMs) });
  return t('cameras.live');
}

const isFresh = (c: Camera): boolean => c.frameAgeMs !== null && c.frameAgeMs <= STALE_MS;

/** One camera: its live MJPEG stream (only while the page is shown), tap to enlarge, snapshot. */
function LiveView({ cam, visible, box }: { cam: Camera; visible: boolean; box: MotionBox | null }) {
  const [gen, setGen] = useState(0);
  const [failed, setFailed] = useState(false);
  const [big, setBig] = useState(false);
  const fresh = isFresh(cam);
  const since = useRef(cam.liveSince);
  const img = useRef<HTMLImageElement>(null);

  // Chromium keeps loading a removed <img>'s multipart stream: point it elsewhere on the way out.
  useEffect(
    () => () => {
      if (img.current) img.current.src = BLANK;
    },
    [],
  );
  // The camera was down long enough for the server to end our stream: reconnect to the new run.
  useEffect(() => {
    if (cam.liveSince !== null && cam.liveSince !== since.current) setGen((g) => g + 1);
    since.current = cam.liveSince;
  }, [cam.liveSince]);
  // Back from hidden: a new connection (the old one was dropped on purpose).
  useEffect(() => {
    if (visible) setGen((g) => g + 1);
  }, [visible]);
  useEffect(() => {
    if (!failed) return;
    const timer = setTimeout(() => {
      setFailed(false);
      setGen((g) => g + 1);
    }, RETRY_MS);
    return () => clearTimeout(timer);
  }, [failed]);
  useEffect(() => {
    if (!big) return;
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') setBig(false);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [big]);

  const streaming = visible && !failed;
  const src = streaming ? `${cam.links.live}?t=${gen}` : BLANK;
  return (
    <figure class={`camera${big ? ' enlarged' : ''}`} data-camera={cam.name} data-state={stateKey(cam)}>
      <button
        type="button"
        class="live-frame"
        aria-label={big ? t('cameras.shrink') : t('cameras.enlarge', { name: cam.name })}
        onClick={() => setBig(!big)}
      >
        <img
          ref={img}
          class="live"
          src={src}
          alt={t('cameras.liveView', { name: cam.name })}
          width={640}
          height={360}
          onError={() => streaming && setFailed(true)}
        />
        {box && cam.motionHighlight && streaming && (
          <span class="motion-box" data-motion-box aria-hidden="true" style={boxStyle(img.current, box)} />
        )}
      </button>
      <figcaption>
        <strong>{cam.name}</strong> <small>{cam.mode}</small>
        {cam.session && <small class="cam-session">{t('cameras.session', { session: cam.session })}</small>}
        <span class={`cam-state${fresh && cam.state === 'running' ? ' ok' : ''}`}>{stateText(cam)}</span>
        <span class="spacer" />
        <a class="button secondary recordings-link" href={`/?${new URLSearchParams({ camera: cam.name })}`}>
          {t('cameras.recordings')}
        </a>
        <a class="button secondary" href={`${cam.links.snapshot}?download=1`} download>
          {t('cameras.snapshot')}
        </a>
      </figcaption>
      {!cam.session && <CameraSettings name={cam.name} mode={cam.mode} />}
    </figure>
  );
}

function EventList({ events }: { events: MotionEvent[] }) {
  if (events.length === 0) return <p class="hint">{t('cameras.noMotion')}</p>;
  return (
    <ul class="motion-events">
      {events.map((e) => (
        <li key={e.id}>
          <button type="button" onClick={() => navigate(`/?item=${e.id}`)} title={e.item.originalName}>
            {e.item.links.thumb ? (
              <img src={e.item.links.thumb} alt="" loading="lazy" decoding="async" />
            ) : (
              <span class="no-thumb">▶</span>
            )}
            <span>
              {e.camera} · {(e.start ?? e.item.sortTime).replace('T', ' ').slice(0, 19)}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

/** Live view of the station's cameras and their latest motion events. */
export function CamerasPage() {
  const visible = usePageVisible();
  const [cameras, setCameras] = useState<Camera[] | null>(null);
  const [events, setEvents] = useState<MotionEvent[]>([]);
  const [boxes, setBoxes] = useState<Record<string, { box: MotionBox; at: number }>>({});
  const [error, setError] = useState('');

  useEffect(() => {
    if (!visible) return;
    let alive = true;
    let n = 0;
    const load = (): void => {
      listCameras()
        .then((r) => alive && (setCameras(r.cameras), setError('')))
        .catch((e: Error) => {
          if (!alive) return;
          if (e instanceof ApiError && e.status === 404) setCameras([]);
          else setError(errorText(e));
        });
      // Events change less often than frame ages: every sixth poll.
      if (n++ % 6 === 0)
        listMotionEvents(12)
          .then((r) => alive && setEvents(r.events))
          .catch(() => undefined);
    };
    load();
    const timer = setInterval(load, POLL_MS);
    // A saved motion event shows at once (the station's live event stream).
    const es = new EventSource('/api/events', { withCredentials: true });
    // Where motion is now, for cameras with the highlight on.
    es.addEventListener('motion-box', (e: MessageEvent<string>) => {
      try {
        const m = JSON.parse(e.data) as { camera: string; box: MotionBox | null };
        setBoxes((b) => {
          const next = { ...b };
          if (m.box) next[m.camera] = { box: m.box, at: Date.now() };
          else delete next[m.camera];
          return next;
        });
      } catch {
        // Not ours: ignored.
      }
    });
    const sweep = setInterval(
      () =>
        setBoxes((b) => {
          const now = Date.now();
          const kept = Object.entries(b).filter(([, v]) => now - v.at < BOX_STALE_MS);
          return kept.length === Object.keys(b).length ? b : Object.fromEntries(kept);
        }),
      1000,
    );
    es.addEventListener('motion-event', () => {
      listMotionEvents(12)
        .then((r) => alive && setEvents(r.events))
        .catch(() => undefined);
    });
    return () => {
      alive = false;
      clearInterval(timer);
      clearInterval(sweep);
      es.close();
    };
  }, [visible]);

  return (
    <section class="page cameras-page">
      <h1>{t('cameras.title')}</h1>
      {error && <p class="error">{error}</p>}
      {cameras?.length === 0 && <p>{t('cameras.none')}</p>}
      <div class="cameras">
        {cameras?.map((c) => (
          <LiveView key={c.name} cam={c} visible={visible} box={boxes[c.name]?.box ?? null} />
        ))}
      </div>
      <h2>{t('cameras.motion')}</h2>
      <EventList events={events} />
    </section>
  );
}
