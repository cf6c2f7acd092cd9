/** Messages of the station's banners and setup: clock, power, address. */
export const en = {
  'clock.suspect': "The station's clock looks wrong: it says {station}, your tablet says {tablet}.",
  'clock.differs': "The station's clock says {station}, your tablet says {tablet}.",
  'clock.reason.before-build': 'That is before this version of Outpost was made.',
  'clock.reason.behind-evidence': 'That is before {newest} ({newestAt}).',
  'clock.reason.jumped-back': 'It jumped back while the station was running.',
  'clock.newest.catalogue': 'the newest item in the library',
  'clock.newest.hlc': 'the newest edit in the library',
  'clock.newest.last-good': 'the last time the station knew its clock was right',
  'clock.waiting': 'Cards wait and cameras pause until it is right, so nothing is filed under a wrong date.',
  'clock.ntp': 'The station keeps its clock over the internet (NTP); check the tablet instead.',
  'clock.set': "Set the station's clock to this tablet's time",
  'clock.confirm':
    "Set the station's clock to {tablet}? Everything the station files from now on is dated by it: check that the tablet's date, time and time zone are right.",
  'clock.confirm.yes': 'Yes, set it',
  'clock.confirm.cancel': 'Cancel',
  'clock.overrule': 'Set it anyway',
  'clock.done': "The station's clock is set.",
  'clock.notAllowed': 'Only an editor can set it (or `sudo date -s` on the station).',
  'power.low': 'Battery low ({detail}): the station finishes the file it is copying, then shuts down.',
  'setup.address': 'Tablets on this network find the station at',
  'setup.addressHint': 'Bookmark it; the address stays the same when the station restarts.',
} as const;

export const es: Record<keyof typeof en, string> = {
  'clock.suspect': 'El reloj de la estación parece incorrecto: marca {station}, su tableta marca {tablet}.',
  'clock.differs': 'El reloj de la estación marca {station}, su tableta marca {tablet}.',
  'clock.reason.before-build': 'Es anterior a la fecha en que se hizo esta versión de Outpost.',
  'clock.reason.behind-evidence': 'Es anterior a {newest} ({newestAt}).',
  'clock.reason.jumped-back': 'Retrocedió mientras la estación funcionaba.',
  'clock.newest.catalogue': 'el elemento más reciente de la biblioteca',
  'clock.newest.hlc': 'la edición más reciente de la biblioteca',
  'clock.newest.last-good': 'la última vez que la estación sabía que su reloj era correcto',
  'clock.waiting':
    'Las tarjetas esperan y las cámaras se detienen hasta que sea correcto, para no archivar nada con una fecha equivocada.',
  'clock.ntp': 'La estación mantiene su reloj por internet (NTP); revise la tableta.',
  'clock.set': 'Poner el reloj de la estación a la hora de esta tableta',
  'clock.confirm':
    '¿Poner el reloj de la estación a {tablet}? Todo lo que la estación archive a partir de ahora llevará esa fecha: compruebe que la fecha, la hora y la zona horaria de la tableta son correctas.',
  'clock.confirm.yes': 'Sí, ponerlo',
  'clock.confirm.cancel': 'Cancelar',
  'clock.overrule': 'Ponerlo de todos modos',
  'clock.done': 'El reloj de la estación está puesto.',
  'clock.notAllowed': 'Solo un editor puede ponerlo (o `sudo date -s` en la estación).',
  'power.low': 'Batería baja ({detail}): la estación termina el archivo que está copiando y se apaga.',
  'setup.address': 'Las tabletas de esta red encuentran la estación en',
  'setup.addressHint': 'Guárdela en favoritos; la dirección no cambia cuando la estación se reinicia.',
};
