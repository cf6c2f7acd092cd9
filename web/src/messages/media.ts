/** Messages of the item view's media (video streaming copy, original, download). */
export const en = {
  'media.download': 'Download',
  'media.downloadHint': 'Download the original file',
  'media.close': 'Close',
  'media.playOriginal': 'Play the original',
  'media.playSmall': 'Play the small copy',
  'media.smallCopy': 'Small copy for slow links',
  'media.originalPlaying': 'Original',
  'grid.loadFailed': 'Could not load: {message}',
  'grid.retry': 'Retry',
  'grid.loading': 'Loading…',
  'grid.count': '{n} items',
  'grid.none': 'No items match these filters.',
  'stars.label': 'Rating',
};

export const es: Record<keyof typeof en, string> = {
  'media.download': 'Descargar',
  'media.downloadHint': 'Descargar el archivo original',
  'media.close': 'Cerrar',
  'media.playOriginal': 'Reproducir el original',
  'media.playSmall': 'Reproducir la copia ligera',
  'media.smallCopy': 'Copia ligera para conexiones lentas',
  'media.originalPlaying': 'Original',
  'grid.loadFailed': 'No se pudo cargar: {message}',
  'grid.retry': 'Reintentar',
  'grid.loading': 'Cargando…',
  'grid.count': '{n} elementos',
  'grid.none': 'Ningún elemento coincide con estos filtros.',
  'stars.label': 'Valoración',
};
