/**
 * The map itself (Leaflet + Supercluster): loaded with import() by the map page only, so the
 * gallery's bundle does not carry it. Tiles come from the station (/api/map/tiles), never from the
 * internet; without tiles the points are drawn on a blank background.
 */
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import Supercluster from 'supercluster';

export interface MapPoint {
  id: string;
  lat: number;
  lon: number;
}

export interface MapViewOptions {
  el: HTMLElement;
  tiles: { url: string; minzoom: number; maxzoom: number; bounds: number[] | null } | null;
  points: MapPoint[];
  /** Start here (an item's position, from the item view's link) instead of fitting the points. */
  center?: { lat: number; lon: number; zoom: number } | undefined;
  /** The item to mark (the one the item view came from). */
  focus?: string | undefined;
  onOpen(id: string): void;
  /** Called after every move with how many points are in view. */
  onView(visible: number): void;
  clusterLabel(n: number): string;
  pointLabel: string;
}

export interface MapView {
  /** [west, south, east, north] of the visible area, clamped to the world. */
  bbox(): [number, number, number, number];
  destroy(): void;
}

const MAX_ZOOM = 18;
const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));
const round = (n: number): number => Math.round(n * 1e6) / 1e6;

export function createMapView(o: MapViewOptions): MapView {
  const map = L.map(o.el, {
    attributionControl: false, // the page shows the tiles' source and licence itself
    maxZoom: MAX_ZOOM,
    worldCopyJump: false,
  });
  if (o.tiles)
    L.tileLayer(o.tiles.url, {
      minZoom: 0,
      maxZoom: MAX_ZOOM,
      maxNativeZoom: o.tiles.maxzoom,
      noWrap: true,
      className: 'station-tiles',
    }).addTo(map);

  const index = new Supercluster<{ id: string }>({ radius: 60, maxZoom: MAX_ZOOM - 1 });
  index.load(
    o.points.map((p) => ({
      type: 'Feature' as const,
      properties: { id: p.id },
      geometry: { type: 'Point' as const, coordinates: [p.lon, p.lat] },
    })),
  );
  const layer = L.layerGroup().addTo(map);

  const bbox = (): [number, number, number, number] => {
    const b = map.getBounds();
    return [
      round(clamp(b.getWest(), -180, 180)),
      round(clamp(b.getSouth(), -90, 90)),
      round(clamp(b.getEast(), -180, 180)),
      round(clamp(b.getNorth(), -90, 90)),
    ];
  };

  const draw = (): void => {
    layer.clearLayers();
    const box = bbox();
    let visible = 0;
    for (const c of index.getClusters(box, Math.round(map.getZoom()))) {
      const [lon, lat] = c.geometry.coordinates as [number, number];
      const props = c.properties as {
        cluster?: boolean;
        cluster_id?: number;
        point_count?: number;
        id?: string;
      };
      if (props.cluster) {
        const n = props.point_count!;
        visible += n;
        const size = n < 10 ? 34 : n < 100 ? 40 : 48;
        L.marker([lat, lon], {
          icon: L.divIcon({ className: 'map-cluster', html: String(n), iconSize: [size, size] }),
          title: o.clusterLabel(n),
          alt: o.clusterLabel(n),
          keyboard: true,
        })
          .on('click', () => {
            map.setView([lat, lon], Math.min(index.getClusterExpansionZoom(props.cluster_id!), MAX_ZOOM));
          })
          .addTo(layer);
      } else {
        visible++;
        const id = props.id!;
        L.marker([lat, lon], {
          icon: L.divIcon({
            className: id === o.focus ? 'map-point focus' : 'map-point',
            iconSize: id === o.focus ? [22, 22] : [18, 18],
          }),
          title: o.pointLabel,
          alt: o.pointLabel,
          keyboard: true,
        })
          .on('click', () => o.onOpen(id))
          // Its element exists once on the map (later, if the map is not ready yet).
          .on('add', (e) => (e.target as L.Marker).getElement()?.setAttribute('data-id', id))
          .addTo(layer);
      }
    }
    o.onView(visible);
  };
  map.on('moveend', draw);

  if (o.center) map.setView([o.center.lat, o.center.lon], clamp(o.center.zoom, 0, MAX_ZOOM));
  else if (o.points.length > 0)
    map.fitBounds(L.latLngBounds(o.points.map((p) => [p.lat, p.lon] as [number, number])), {
      padding: [40, 40],
      maxZoom: 15,
    });
  else if (o.tiles?.bounds) {
    const [w, s, e, n] = o.tiles.bounds as [number, number, number, number];
    map.fitBounds([
      [s, w],
      [n, e],
    ]);
  } else map.setView([0, 0], 2);

  return {
    bbox,
    destroy: () => map.remove(),
  };
}
