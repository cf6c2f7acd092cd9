import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { apiQuery, filtersFrom } from '../filters';
import { formatNumber, t } from '../i18n';
import type { MapView } from '../map-view';
import { navigate } from '../router';

interface MapInfo {
  tiles: {
    name: string;
    attribution: string | null;
    description: string | null;
    minzoom: number;
    maxzoom: number;
    bounds: number[] | null;
    count: number;
    url: string;
  } | null;
  problem: string | null;
}
interface Points {
  points: { id: string; lat: number; lon: number }[];
  more: boolean;
}

const num = (s: string | null): number | undefined => {
  const n = s === null || s === '' ? NaN : Number(s);
  return Number.isFinite(n) ? n : undefined;
};

/**
 * All items with a position, clustered, on the station's offline tiles (`/map`). The gallery's
 * filters in the query narrow the points; `lat`, `lon`, `zoom` centre the map (the item view's
 * link) and `focus` marks one item. "Show in the gallery" opens the gallery filtered to the
 * visible area (the item list's bbox filter).
 */
export function MapPage({ query }: { query: URLSearchParams }) {
  const el = useRef<HTMLDivElement>(null);
  const view = useRef<MapView | null>(null);
  const [info, setInfo] = useState<MapInfo | null>(null);
  const [points, setPoints] = useState<Points | null>(null);
  const [visible, setVisible] = useState(0);
  const [error, setError] = useState('');
  const filters = filtersFrom(query);
  delete filters.bbox;
  delete filters.sort;
  const key = apiQuery(filters).toString();
  const lat = num(query.get('lat'));
  const lon = num(query.get('lon'));
  const zoom = num(query.get('zoom')) ?? 16;
  const focus = query.get('focus') ?? undefined;
  const place = `${lat}/${lon}/${zoom}/${focus}`;

  useEffect(() => {
    let gone = false;
    setError('');
    Promise.all([
      api<MapInfo>('GET', '/api/map/info'),
      api<Points>('GET', `/api/map/points?${key}`),
      import('../map-view'),
    ])
      .then(([i, p, m]) => {
        if (gone || !el.current) return;
        setInfo(i);
        setPoints(p);
        view.current?.destroy();
        view.current = m.createMapView({
          el: el.current,
          tiles: i.tiles,
          points: p.points,
          center: lat !== undefined && lon !== undefined ? { lat, lon, zoom } : undefined,
          focus,
          onOpen: (id) => navigate(`/?item=${encodeURIComponent(id)}`),
          onView: setVisible,
          clusterLabel: (n) => t('map.cluster', { n: formatNumber(n) }),
          pointLabel: t('map.point'),
        });
      })
      .catch((e: Error) => !gone && setError(e.message));
    return () => {
      gone = true;
      view.current?.destroy();
      view.current = null;
    };
  }, [key, place]);

  const showInGallery = (): void => {
    if (!view.current) return;
    navigate(`/?${apiQuery({ ...filters, bbox: view.current.bbox().join(',') })}`);
  };

  return (
    <section class="page map-page">
      <h1>{t('map.title')}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!info && !error && <p>{t('map.loading')}</p>}
      {info && (
        <div class="map-source">
          {info.tiles ? (
            <>
              <p>{t('map.tiles', { name: info.tiles.name })}</p>
              <p class="hint">
                {info.tiles.attribution
                  ? t('map.attribution', { text: info.tiles.attribution })
                  : t('map.noAttribution')}
              </p>
            </>
          ) : (
            <p class="notice">
              {info.problem ? t('map.problem', { problem: info.problem }) : t('map.noTiles')}
            </p>
          )}
        </div>
      )}
      {points && (
        <div class="map-tools">
          <span>
            {points.points.length === 0
              ? t('map.none')
              : t('map.count', { n: formatNumber(points.points.length) })}
            {points.more && ` ${t('map.more', { n: formatNumber(points.points.length) })}`}
          </span>
          <button type="button" disabled={visible === 0} onClick={showInGallery}>
            {t('map.selectVisible', { n: formatNumber(visible) })}
          </button>
        </div>
      )}
      {/* Leaflet owns the inner element's classes: Preact must never rewrite them. */}
      <div class={info?.tiles ? 'map-frame' : 'map-frame blank'}>
        <div ref={el} class="map" role="region" aria-label={t('map.region')} />
      </div>
    </section>
  );
}
