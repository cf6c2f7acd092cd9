/** Messages of the map page (offline tiles, clustered positions). */
export const en = {
  'map.nav': 'Map',
  'map.title': 'Map',
  'map.loading': 'Loading the map…',
  'map.tiles': 'Map tiles: {name}',
  'map.attribution': 'Source and licence: {text}',
  'map.noAttribution': 'The tile file names no source or licence.',
  'map.noTiles':
    'No map tiles on this station: positions are shown on a blank background. To add a map of your area, run “outpost map import file.mbtiles” on the station.',
  'map.problem': 'The station’s map tile file cannot be used: {problem}',
  'map.count': '{n} items with a position (camera GPS, GPX track or set by hand).',
  'map.more': 'Only the newest {n} are shown.',
  'map.none': 'No item matching the filters has a position.',
  'map.selectVisible': 'Show the {n} in view in the gallery',
  'map.cluster': '{n} items here: zoom in',
  'map.point': 'Open this item',
  'map.region': 'Map of the items’ positions',
  'map.inArea': 'In an area of the map ✕',
};

export const es: Record<keyof typeof en, string> = {
  'map.nav': 'Mapa',
  'map.title': 'Mapa',
  'map.loading': 'Cargando el mapa…',
  'map.tiles': 'Teselas del mapa: {name}',
  'map.attribution': 'Fuente y licencia: {text}',
  'map.noAttribution': 'El archivo de teselas no indica fuente ni licencia.',
  'map.noTiles':
    'La estación no tiene teselas de mapa: las posiciones se muestran sobre un fondo en blanco. Para añadir un mapa de su zona, ejecute «outpost map import archivo.mbtiles» en la estación.',
  'map.problem': 'No se puede usar el archivo de teselas de la estación: {problem}',
  'map.count': '{n} elementos con posición (GPS de la cámara, traza GPX o puesta a mano).',
  'map.more': 'Solo se muestran los {n} más recientes.',
  'map.none': 'Ningún elemento que cumpla los filtros tiene posición.',
  'map.selectVisible': 'Ver en la galería los {n} visibles',
  'map.cluster': '{n} elementos aquí: acercar',
  'map.point': 'Abrir este elemento',
  'map.region': 'Mapa de las posiciones de los elementos',
  'map.inArea': 'En una zona del mapa ✕',
};
