/** Messages of the selection's exports (zip of originals or previews). */
export const en = {
  'export.zip': 'Download zip',
  'export.zipOriginals': 'Originals (with XMP sidecars)',
  'export.zipPreviews': 'Previews (small)',
  'export.zipStarted': 'Downloading a zip of {n} items: your browser shows its progress',
  'export.zipFailed': 'No zip: {message}',
  'export.selectAll': 'Select all in filter',
};

export const es: Record<keyof typeof en, string> = {
  'export.zip': 'Descargar zip',
  'export.zipOriginals': 'Originales (con archivos XMP)',
  'export.zipPreviews': 'Vistas previas (ligeras)',
  'export.zipStarted': 'Descargando un zip de {n} elementos: el navegador muestra el progreso',
  'export.zipFailed': 'Sin zip: {message}',
  'export.selectAll': 'Seleccionar todo lo filtrado',
};
