import type { Clock } from '../adapters/clock.js';
import type { IngestState } from '../indicators/station-facts.js';
import { subscribe, type StationEvents } from './events.js';

export type { IngestState };

/**
 * Follows the station's events and remembers the latest ingest. `stop()` unsubscribes
 * (the station's status calls it on close, so a long-lived station does not collect listeners).
 */
export function trackIngest(
  events: StationEvents,
  clock: Clock,
): { current(): IngestState | null; stop(): void } {
  let state: IngestState | null = null;
  const now = (): string => clock.now().toISOString();
  const set = (patch: Partial<IngestState> & { mountPoint: string }): void => {
    const base: IngestState =
      state && state.mountPoint === patch.mountPoint
        ? state
        : {
            state: 'running',
            mountPoint: patch.mountPoint,
            cardPresent: true,
            progress: null,
            summary: null,
            error: null,
            updatedAt: now(),
          };
    state = { ...base, ...patch, updatedAt: now() };
  };
  const stop = subscribe(events, {
    // A card only counts once ingest starts (an inserted card may wait for a drive, or hold no media).
    'ingest-progress': ({ mountPoint, progress }) =>
      set(
        state?.mountPoint === mountPoint && state.state === 'running'
          ? { mountPoint, progress }
          : { mountPoint, state: 'running', cardPresent: true, progress, summary: null, error: null },
      ),
    'ingest-done': ({ mountPoint, summary }) =>
      set({
        mountPoint,
        state: summary.error ? 'failed' : 'done',
        summary,
        error: summary.error ?? null,
      }),
    'ingest-failed': ({ mountPoint, code, message, hint }) =>
      set({ mountPoint, state: 'failed', error: { code, message, hint } }),
    'card-removed': ({ mountPoint }) => {
      if (state?.mountPoint === mountPoint) state = { ...state, cardPresent: false, updatedAt: now() };
    },
  });
  return {
    current: () => state,
    stop,
  };
}
