/** Messages of the app's frame: navigation, language, loading. */
export const en = {
  'app.nav.gallery': 'Gallery',
  'app.nav.status': 'Status',
  'app.nav.cards': 'Cards',
  'app.nav.cameras': 'Cameras',
  'app.logout': '{name} · Log out',
  'app.language': 'Language',
  'app.loading': 'Loading…',
  'app.retry': 'Retry',
  'app.loginAgain': 'Please log in again.',
};

export const es: Record<keyof typeof en, string> = {
  'app.nav.gallery': 'Galería',
  'app.nav.status': 'Estado',
  'app.nav.cards': 'Tarjetas',
  'app.nav.cameras': 'Cámaras',
  'app.logout': '{name} · Cerrar sesión',
  'app.language': 'Idioma',
  'app.loading': 'Cargando…',
  'app.retry': 'Reintentar',
  'app.loginAgain': 'Vuelva a iniciar sesión.',
};
