/** Messages of Compare (photos side by side). */
export const en = {
  'compare.button': 'Compare',
  'compare.buttonHint': 'Select 2 to 4 photos to compare them side by side',
  'compare.title': 'Compare {n} photos',
  'compare.close': 'Close',
  'compare.hint': 'Pinch, scroll or double-tap to zoom: every photo follows. Esc closes.',
  'compare.loading': 'Loading…',
  'compare.failed': 'Could not load a photo: {message}',
  'compare.noDate': 'no capture date',
};

export const es: Record<keyof typeof en, string> = {
  'compare.button': 'Comparar',
  'compare.buttonHint': 'Seleccione de 2 a 4 fotos para compararlas lado a lado',
  'compare.title': 'Comparar {n} fotos',
  'compare.close': 'Cerrar',
  'compare.hint':
    'Pellizque, use la rueda o toque dos veces para ampliar: todas las fotos lo siguen. Esc cierra.',
  'compare.loading': 'Cargando…',
  'compare.failed': 'No se pudo cargar una foto: {message}',
  'compare.noDate': 'sin fecha de captura',
};
