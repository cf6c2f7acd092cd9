import type { ScrubState } from '../indicators/station-facts.js';
import type { StationEvents, StationEventMap } from './events.js';

export type { ScrubState };

/** Follows the station's scrub events; `stop()` unsubscribes. */
export function trackScrub(events: StationEvents): { current(): ScrubState | null; stop(): void } {
  let state: ScrubState | null = null;
  const base = (): ScrubState =>
    state ?? { state: 'idle', progress: null, summary: null, error: null, openDamage: 0 };
  const handlers: { [K in keyof StationEventMap]?: (...a: StationEventMap[K]) => void } = {
    'scrub-progress': ({ progress }) => {
      state = { ...base(), state: 'running', progress, error: null };
    },
    'scrub-done': ({ summary }) => {
      state = { ...base(), state: 'done', progress: null, summary, openDamage: summary.openDamage };
    },
    'scrub-failed': (error) => {
      state = { ...base(), state: 'failed', progress: null, error };
    },
    'scrub-damage': ({ files }) => {
      state = { ...base(), openDamage: files };
    },
  };
  const entries = Object.entries(handlers) as [keyof StationEventMap, (...a: unknown[]) => void][];
  for (const [name, h] of entries) events.on(name, h as never);
  return {
    current: () => state,
    stop: () => {
      for (const [name, h] of entries) events.off(name, h as never);
    },
  };
}
