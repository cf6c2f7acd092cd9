import { useEffect, useRef, useState } from 'preact/hooks';
import { api, getItem, getVideoExports, listItems, startVideoEdit } from '../api';
import { errorText } from '../error-text';
import { formatNumber, t } from '../i18n';
import type { Item, VideoExportJob } from '../types';
import { usePageVisible } from '../visibility';
import { JobRow } from './VideoPage';

interface Piece {
  item: string;
  inS: number;
  outS: number;
}
type Preset = 'original' | '1080p' | '720p';
type Rotate = 0 | 90 | 180 | 270;

/** `m:ss.s` of a position in a clip. */
function clock(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
}

/**
 * The video editor (docs/video.md, "Editor"): the clip with a poster strip, its keyframes and the
 * pieces kept; in and out points, split at the playhead, delete and reorder pieces, other clips
 * joined after; sound, rotation and a preset; the export runs on the station.
 */
interface ClipInfo {
  keyframes: number[];
  durationS: number;
  fps: number;
}

const keyframesOf = (item: string): Promise<ClipInfo> =>
  api<ClipInfo>('GET', `/api/video/items/${item}/keyframes`);

export function EditorPage({ query }: { query: URLSearchParams }) {
  const id = query.get('item') ?? '';
  const visible = usePageVisible();
  const player = useRef<HTMLVideoElement>(null);
  const [item, setItem] = useState<Item | null>(null);
  // The clip in the player and on the timeline: the one whose pieces in, out and split change
  // (any piece's clip, a joined one too: tap its piece).
  const [current, setCurrent] = useState('');
  const [infos, setInfos] = useState<Record<string, ClipInfo>>({});
  const pendingSeek = useRef<number | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [pieces, setPieces] = useState<Piece[]>([]);
  const [sel, setSel] = useState(0);
  const [at, setAt] = useState(0);
  const [preset, setPreset] = useState<Preset>('original');
  const [audio, setAudio] = useState(true);
  const [rotate, setRotate] = useState<Rotate>(0);
  const [others, setOthers] = useState<Item[]>([]);
  const [add, setAdd] = useState('');
  const [jobs, setJobs] = useState<VideoExportJob[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!id) return;
    void (async () => {
      try {
        const it = (await getItem(id)) as Item & {
          facts?: { edit?: { pieces: Piece[]; preset: Preset; audio: boolean; rotate: Rotate } };
        };
        const kf = await keyframesOf(id);
        setItem(it);
        setInfos((m) => ({ ...m, [id]: kf }));
        const again = it.facts?.edit;
        // An edit opens as its edit list (to change it), its first piece's clip in the player;
        // any other clip as one whole piece.
        setPieces(again ? again.pieces : [{ item: id, inS: 0, outS: kf.durationS }]);
        setCurrent(again?.pieces[0]?.item ?? id);
        if (again) {
          setPreset(again.preset);
          setAudio(again.audio);
          setRotate(again.rotate);
        }
        const list = await listItems(
          new URLSearchParams({ type: 'video', monitor: it.monitor, recordings: 'include', limit: '100' }),
        );
        setOthers(list.items.filter((x) => x.id !== id));
        const named = Object.fromEntries([it, ...list.items].map((x) => [x.id, x.originalName]));
        // A reopened edit's clips may be of another camera: their names too.
        for (const p of again?.pieces ?? [])
          if (!named[p.item]) named[p.item] = (await getItem(p.item).catch(() => null))?.originalName ?? '';
        setNames(named);
      } catch (e) {
        setError(errorText(e));
      }
    })();
  }, [id]);

  const refresh = (): void => {
    getVideoExports().then(
      (r) => setJobs(r.exports.filter((j) => j.kind === 'edit')),
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

  // The keyframes and length of the clip in the player, asked for when it first is.
  useEffect(() => {
    if (!current || infos[current]) return;
    keyframesOf(current).then(
      (kf) => setInfos((m) => ({ ...m, [current]: kf })),
      (e: unknown) => setError(errorText(e)),
    );
  }, [current]);
  const info = infos[current] ?? null;

  const frame = info ? 1 / info.fps : 0.04;
  const seek = (s: number): void => {
    const v = player.current;
    if (!v || !info) return;
    v.currentTime = Math.min(Math.max(0, s), info.durationS);
    setAt(v.currentTime);
  };
  const mine = (p: Piece | undefined): p is Piece => !!p && p.item === current;
  /** Select a piece; a piece of another clip brings that clip into the player, at the piece's in. */
  const select = (i: number): void => {
    setSel(i);
    const p = pieces[i];
    if (!p || p.item === current) return;
    pendingSeek.current = p.inS;
    setAt(p.inS);
    setCurrent(p.item);
  };
  const change = (i: number, p: Piece): void => setPieces(pieces.map((x, j) => (j === i ? p : x)));
  const actions = {
    setIn: () => {
      const p = pieces[sel];
      if (mine(p) && at < p.outS - frame / 2) change(sel, { ...p, inS: at });
    },
    setOut: () => {
      const p = pieces[sel];
      if (mine(p) && at > p.inS + frame / 2) change(sel, { ...p, outS: at });
    },
    split: () => {
      const i = pieces.findIndex((p) => mine(p) && p.inS + frame / 2 < at && at < p.outS - frame / 2);
      if (i < 0) return;
      const p = pieces[i]!;
      setPieces([...pieces.slice(0, i), { ...p, outS: at }, { ...p, inS: at }, ...pieces.slice(i + 1)]);
      setSel(i + 1);
    },
    remove: (i = sel) => {
      if (pieces.length <= 1) return;
      setPieces(pieces.filter((_, j) => j !== i));
      setSel(Math.max(0, Math.min(i, pieces.length - 2)));
    },
    move: (i: number, by: -1 | 1) => {
      const j = i + by;
      if (j < 0 || j >= pieces.length) return;
      const next = [...pieces];
      [next[i], next[j]] = [next[j]!, next[i]!];
      setPieces(next);
      setSel(j);
    },
    step: (by: number) => {
      player.current?.pause();
      seek(at + by * frame);
    },
    toggle: () => {
      const v = player.current;
      if (!v) return;
      if (v.paused) void v.play();
      else v.pause();
    },
  };

  // Keyboard on a laptop: J/K/L, I/O, arrows (a frame), S (split), Delete.
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const tag = (e.target as HTMLElement | null)?.tagName;
      if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
      const v = player.current;
      const k = e.key.toLowerCase();
      if (k === 'i') actions.setIn();
      else if (k === 'o') actions.setOut();
      else if (k === 's') actions.split();
      else if (k === 'delete' || k === 'backspace') actions.remove();
      else if (k === 'arrowleft') actions.step(-1);
      else if (k === 'arrowright') actions.step(1);
      else if (k === 'k' || k === ' ') actions.toggle();
      else if (k === 'j' && v) {
        v.pause();
        seek(at - 1);
      } else if (k === 'l' && v) {
        v.playbackRate = v.paused ? 1 : Math.min(4, v.playbackRate * 2);
        void v.play();
      } else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (!id) return <div class="page editor-page">{t('editor.noItem')}</div>;
  const total = pieces.reduce((n, p) => n + (p.outS - p.inS), 0);
  const pct = (s: number): string => `${info ? (s / info.durationS) * 100 : 0}%`;
  return (
    <div class="page editor-page">
      <h1>{t('editor.title', { name: item?.originalName ?? '' })}</h1>
      {error ? <p class="error">{error}</p> : null}
      <video
        ref={player}
        class="editor-player"
        src={current ? `/api/items/${current}/original` : undefined}
        data-clip={current}
        preload="auto"
        playsInline
        muted
        onLoadedMetadata={(e) => {
          const to = pendingSeek.current;
          pendingSeek.current = null;
          if (to !== null) (e.currentTarget as HTMLVideoElement).currentTime = to;
        }}
        onTimeUpdate={(e) => setAt((e.currentTarget as HTMLVideoElement).currentTime)}
        onSeeked={(e) => setAt((e.currentTarget as HTMLVideoElement).currentTime)}
      />
      {info ? (
        <div
          class="editor-timeline"
          style={{ backgroundImage: `url(/api/video/items/${current}/strip?n=12)` }}
          onPointerDown={(e) => {
            const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
            seek(((e.clientX - r.left) / r.width) * info.durationS);
          }}
        >
          {info.keyframes.map((k) => (
            <span key={k} class="editor-key" style={{ left: pct(k) }} />
          ))}
          {pieces.map((p, i) =>
            mine(p) ? (
              <span
                key={`${i}-${p.inS}`}
                class={`editor-piece${i === sel ? ' selected' : ''}`}
                style={{ left: pct(p.inS), width: pct(p.outS - p.inS) }}
              />
            ) : null,
          )}
          <span class="editor-playhead" style={{ left: pct(at) }} />
        </div>
      ) : null}
      <p class="editor-at">
        {clock(at)} / {info ? clock(info.durationS) : '–'} ·{' '}
        {t('editor.kept', { s: formatNumber(Math.round(total * 10) / 10) })}
      </p>
      <div class="editor-tools" role="toolbar">
        <button
          type="button"
          class="secondary"
          onClick={() => actions.step(-1)}
          aria-label={t('editor.back')}
        >
          ◀︎
        </button>
        <button type="button" class="secondary editor-play" onClick={actions.toggle}>
          {t('editor.play')}
        </button>
        <button
          type="button"
          class="secondary"
          onClick={() => actions.step(1)}
          aria-label={t('editor.forward')}
        >
          ▶︎
        </button>
        <button type="button" class="editor-in" onClick={actions.setIn}>
          {t('editor.in')}
        </button>
        <button type="button" class="editor-out" onClick={actions.setOut}>
          {t('editor.out')}
        </button>
        <button type="button" class="editor-split" onClick={actions.split}>
          {t('editor.split')}
        </button>
      </div>
      <ol class="editor-pieces">
        {pieces.map((p, i) => (
          <li
            key={`${i}-${p.item}-${p.inS}`}
            class={i === sel ? 'selected' : undefined}
            data-piece={i}
            data-clip={p.item}
            onClick={() => select(i)}
          >
            <span>
              {names[p.item] ?? p.item.slice(0, 12)} · {clock(p.inS)}–{clock(p.outS)} (
              {(p.outS - p.inS).toFixed(1)} s)
            </span>
            <button
              type="button"
              class="secondary"
              onClick={() => actions.move(i, -1)}
              aria-label={t('editor.up')}
            >
              ↑
            </button>
            <button
              type="button"
              class="secondary"
              onClick={() => actions.move(i, 1)}
              aria-label={t('editor.down')}
            >
              ↓
            </button>
            <button
              type="button"
              class="secondary editor-delete"
              disabled={pieces.length <= 1}
              onClick={(e) => {
                e.stopPropagation();
                actions.remove(i);
              }}
              aria-label={t('editor.delete')}
            >
              ✕
            </button>
          </li>
        ))}
      </ol>
      <div class="editor-options">
        <label>
          {t('editor.join')}{' '}
          <select
            name="editor-add"
            value={add}
            onChange={(e) => setAdd((e.target as HTMLSelectElement).value)}
          >
            <option value="">–</option>
            {others.map((o) => (
              <option key={o.id} value={o.id}>
                {o.originalName}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          class="secondary editor-add"
          disabled={!add}
          onClick={() => {
            const o = others.find((x) => x.id === add);
            if (!o) return;
            setPieces([...pieces, { item: o.id, inS: 0, outS: o.durationS ?? 0 }]);
            setAdd('');
          }}
        >
          {t('editor.add')}
        </button>
        <label>
          <input
            type="checkbox"
            name="editor-audio"
            checked={audio}
            onChange={(e) => setAudio((e.target as HTMLInputElement).checked)}
          />{' '}
          {t('editor.sound')}
        </label>
        <label>
          {t('editor.rotate')}{' '}
          <select
            name="editor-rotate"
            value={String(rotate)}
            onChange={(e) => setRotate(Number((e.target as HTMLSelectElement).value) as Rotate)}
          >
            {[0, 90, 180, 270].map((d) => (
              <option key={d} value={String(d)}>
                {d}°
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('editor.preset')}{' '}
          <select
            name="editor-preset"
            value={preset}
            onChange={(e) => setPreset((e.target as HTMLSelectElement).value as Preset)}
          >
            <option value="original">{t('editor.preset.original')}</option>
            <option value="1080p">1080p H.264</option>
            <option value="720p">720p H.264</option>
          </select>
        </label>
        <button
          type="button"
          class="editor-export"
          onClick={() => {
            setError(null);
            startVideoEdit({ pieces, preset, audio, rotate }).then(refresh, (e: unknown) =>
              setError(errorText(e)),
            );
          }}
        >
          {t('editor.export')}
        </button>
      </div>
      <ul class="video-jobs">
        {jobs.map((j) => (
          <JobRow key={j.id} job={j} canEdit onChanged={refresh} />
        ))}
      </ul>
      <p class="hint">{t('editor.keys')}</p>
    </div>
  );
}
