/** Messages of events, rejects and camera recordings in the gallery. */
export const en = {
  'events.filter.recordings': 'Include recordings',
};

export const es: Record<keyof typeof en, string> = {
  'events.filter.recordings': 'Incluir grabaciones',
};
