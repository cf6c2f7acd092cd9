/** Messages of rejecting and deleting items (docs/reject-delete.md). */
export const en = {
  'reject.reject': 'Reject',
  'reject.unreject': 'Un-reject',
  'reject.rejected': 'Rejected',
  'reject.filter': 'Rejected',
  'reject.filter.exclude': 'Hidden',
  'reject.filter.include': 'Shown too',
  'reject.filter.only': 'Only rejected',
  'reject.delete': 'Delete rejected…',
  'reject.confirm': 'Delete {count} rejected items? Their files are removed from the library drive.',
  'reject.onlyCopy': '{count} of them exist nowhere else (not on the second drive, not at HQ).',
  'reject.onlyCopy.confirm': 'Also delete the {count} with no other copy',
  'reject.confirm.yes': 'Delete',
  'reject.confirm.cancel': 'Cancel',
  'reject.kept': '{count} kept because they have no other copy.',
};

export const es: Record<keyof typeof en, string> = {
  'reject.reject': 'Descartar',
  'reject.unreject': 'Recuperar',
  'reject.rejected': 'Descartado',
  'reject.filter': 'Descartados',
  'reject.filter.exclude': 'Ocultos',
  'reject.filter.include': 'También',
  'reject.filter.only': 'Solo descartados',
  'reject.delete': 'Borrar descartados…',
  'reject.confirm':
    '¿Borrar {count} elementos descartados? Sus archivos se eliminan del disco de la biblioteca.',
  'reject.onlyCopy':
    '{count} de ellos no existen en ningún otro lugar (ni en el segundo disco ni en la sede).',
  'reject.onlyCopy.confirm': 'Borrar también los {count} sin otra copia',
  'reject.confirm.yes': 'Borrar',
  'reject.confirm.cancel': 'Cancelar',
  'reject.kept': 'Se conservaron {count} porque no tienen otra copia.',
};
