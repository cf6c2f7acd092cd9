import type { MirrorState } from '../indicators/station-facts.js';
import { subscribe, type StationEvents } from './events.js';

export type { MirrorState };

/** Follows the station's mirror events; `stop()` unsubscribes. */
export function trackMirror(events: StationEvents): { current(): MirrorState | null; stop(): void } {
  let state: MirrorState | null = null;
  const stop = subscribe(events, {
    'partner-attached': (p) => {
      state = {
        partner: p,
        state: 'pending',
        progress: null,
        summary: null,
        error: null,
        behind: state?.behind ?? 0,
      };
    },
    'partner-detached': () => {
      if (state) state = { ...state, partner: null };
    },
    'mirror-progress': ({ progress }) => {
      if (state) state = { ...state, state: 'running', progress, error: null };
    },
    'mirror-done': ({ summary }) => {
      if (state)
        state = {
          ...state,
          state: summary.aborted ? 'pending' : 'done',
          summary,
          progress: null,
          behind: summary.aborted ? state.behind : 0,
        };
    },
    'mirror-failed': ({ code, message, hint }) => {
      if (state) state = { ...state, state: 'failed', error: { code, message, hint }, progress: null };
    },
    // New items on drive A: the partner is behind until the next pass.
    'ingest-done': ({ summary }) => {
      if (state && summary.copied > 0)
        state = { ...state, state: 'pending', behind: state.behind + summary.copied };
    },
  });
  return {
    current: () => state,
    stop,
  };
}
