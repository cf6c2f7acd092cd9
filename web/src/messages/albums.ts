/** Messages of the Events page (events as albums). */
export const en = {
  'albums.nav': 'Events',
  'albums.title': 'Events',
  'albums.none':
    'No events yet: set an event code on photos (one at a time or in bulk) and they gather here.',
  'albums.count.one': '1 item',
  'albums.count.other': '{n} items',
  'albums.range': '{from} – {to}',
  'albums.onMap': 'On the map',
  'albums.rename': 'Rename or merge',
  'albums.renamePrompt': 'New code for the {n} items of "{event}" (an existing code merges them into it):',
  'albums.renamed': '"{from}" is now "{to}" on {n} items.',
  'albums.merged': '"{from}" merged into "{to}" ({n} items).',
  'albums.renameFailed': 'Not renamed: {message}',
  'albums.loadFailed': 'Could not load the events: {message}',
  'albums.undo': 'Undo',
  'albums.undone': 'Undone.',
  'albums.open': 'Open the {n} items of {event}',
};

export const es: Record<keyof typeof en, string> = {
  'albums.nav': 'Eventos',
  'albums.title': 'Eventos',
  'albums.none':
    'Aún no hay eventos: asigne un código de evento a las fotos (una a una o en bloque) y se reunirán aquí.',
  'albums.count.one': '1 elemento',
  'albums.count.other': '{n} elementos',
  'albums.range': '{from} – {to}',
  'albums.onMap': 'En el mapa',
  'albums.rename': 'Renombrar o unir',
  'albums.renamePrompt':
    'Nuevo código para los {n} elementos de «{event}» (un código existente los une a él):',
  'albums.renamed': '«{from}» ahora es «{to}» en {n} elementos.',
  'albums.merged': '«{from}» unido a «{to}» ({n} elementos).',
  'albums.renameFailed': 'No se renombró: {message}',
  'albums.loadFailed': 'No se pudieron cargar los eventos: {message}',
  'albums.undo': 'Deshacer',
  'albums.undone': 'Deshecho.',
  'albums.open': 'Abrir los {n} elementos de {event}',
};
