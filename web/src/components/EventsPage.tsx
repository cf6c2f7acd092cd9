import { useEffect, useState } from 'preact/hooks';
import { api, undoChanges, type UndoChange } from '../api';
import { formatDate, t, tn } from '../i18n';
import { navigate } from '../router';
import { showToast } from '../toast';
import { ToastView } from './ToastView';

/** One event as an album (GET /api/event-albums). */
interface Album {
  event: string;
  count: number;
  firstTime: string;
  lastTime: string;
  coverId: string | null;
  lat: number | null;
  lon: number | null;
}

const day = (iso: string): string => formatDate(Date.parse(iso.length <= 10 ? `${iso}T12:00:00` : iso));

/**
 * Events as albums (issue 13 §2): every event code with its count, a cover, its dates and where it
 * was; tap one for its photos. Editors rename an event, or merge it into another by giving that
 * code, on all its items at once (ops, with Undo).
 */
export function EventsPage({ canEdit }: { canEdit: boolean }) {
  const [albums, setAlbums] = useState<Album[] | null>(null);
  const [error, setError] = useState('');
  const load = (): void => {
    api<{ events: Album[] }>('GET', '/api/event-albums')
      .then((r) => setAlbums(r.events))
      .catch((e: Error) => setError(t('albums.loadFailed', { message: e.message })));
  };
  useEffect(load, []);

  const rename = (a: Album): void => {
    const to = prompt(t('albums.renamePrompt', { n: String(a.count), event: a.event }), a.event)?.trim();
    if (!to || to === a.event) return;
    api<{ updated: number; merged: boolean; changes: UndoChange[] }>('POST', '/api/events/rename', {
      from: a.event,
      to,
    })
      .then((r) => {
        load();
        showToast({
          text: t(r.merged ? 'albums.merged' : 'albums.renamed', { from: a.event, to, n: String(r.updated) }),
          kind: 'info',
          action: {
            label: t('albums.undo'),
            run: () =>
              void undoChanges(r.changes)
                .then(() => {
                  load();
                  showToast({ text: t('albums.undone'), kind: 'info' });
                })
                .catch((e: Error) =>
                  showToast({ text: t('albums.renameFailed', { message: e.message }), kind: 'error' }),
                ),
          },
        });
      })
      .catch((e: Error) =>
        showToast({ text: t('albums.renameFailed', { message: e.message }), kind: 'error' }),
      );
  };

  return (
    <div class="page events-page">
      <h1>{t('albums.title')}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {albums && albums.length === 0 && <p class="hint">{t('albums.none')}</p>}
      <ul class="albums">
        {albums?.map((a) => (
          <li key={a.event} class="album" data-event={a.event}>
            <a
              class="album-open"
              href={`/?${new URLSearchParams({ eventIs: a.event })}`}
              aria-label={t('albums.open', { n: String(a.count), event: a.event })}
              onClick={(e) => {
                e.preventDefault();
                navigate(`/?${new URLSearchParams({ eventIs: a.event })}`);
              }}
            >
              {a.coverId ? (
                <img src={`/api/items/${a.coverId}/thumb`} alt="" loading="lazy" />
              ) : (
                <span class="no-thumb" />
              )}
              <strong class="album-name">{a.event}</strong>
              <span class="album-count">{tn('albums.count', a.count)}</span>
              <span class="album-dates">
                {a.firstTime.slice(0, 10) === a.lastTime.slice(0, 10)
                  ? day(a.firstTime)
                  : t('albums.range', { from: day(a.firstTime), to: day(a.lastTime) })}
              </span>
            </a>
            <span class="album-actions">
              {a.lat !== null && a.lon !== null && (
                <a
                  class="button secondary"
                  href={`/map?${new URLSearchParams({ lat: a.lat.toFixed(5), lon: a.lon.toFixed(5), zoom: '12' })}`}
                >
                  {t('albums.onMap')}
                </a>
              )}
              {canEdit && (
                <button type="button" class="secondary album-rename" onClick={() => rename(a)}>
                  {t('albums.rename')}
                </button>
              )}
            </span>
          </li>
        ))}
      </ul>
      <ToastView />
    </div>
  );
}
