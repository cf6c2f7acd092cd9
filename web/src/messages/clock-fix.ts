/** Messages of "Fix camera clock" (shift capture times, docs/clock-fix.md). */
export const en = {
  'clockfix.button': 'Fix camera clock…',
  'clockfix.title': 'Fix the camera clock of {n} items',
  'clockfix.by': 'Move the times by',
  'clockfix.byHint': 'e.g. +1h30m, -2d, 90s',
  'clockfix.or': 'or: the first selected photo was really taken at',
  'clockfix.preview': 'Preview',
  'clockfix.apply': 'Apply',
  'clockfix.cancel': 'Cancel',
  'clockfix.plan': '{n} items: {before} → {after}. {renamed} files renamed.',
  'clockfix.undated': '{n} without a capture date are left as they are.',
  'clockfix.done': 'Capture times of {n} items moved by {offset}.',
  'clockfix.failed': 'Clock not fixed: {message}',
  'clockfix.needOffset': 'Give an offset or the true time of the first photo.',
};

export const es: Record<keyof typeof en, string> = {
  'clockfix.button': 'Corregir el reloj de la cámara…',
  'clockfix.title': 'Corregir el reloj de la cámara de {n} elementos',
  'clockfix.by': 'Mover las horas',
  'clockfix.byHint': 'p. ej. +1h30m, -2d, 90s',
  'clockfix.or': 'o bien: la primera foto seleccionada se tomó en realidad el',
  'clockfix.preview': 'Vista previa',
  'clockfix.apply': 'Aplicar',
  'clockfix.cancel': 'Cancelar',
  'clockfix.plan': '{n} elementos: {before} → {after}. Se renombran {renamed} archivos.',
  'clockfix.undated': '{n} sin fecha de captura se dejan como están.',
  'clockfix.done': 'Horas de captura de {n} elementos movidas {offset}.',
  'clockfix.failed': 'No se corrigió el reloj: {message}',
  'clockfix.needOffset': 'Indique un desplazamiento o la hora real de la primera foto.',
};
