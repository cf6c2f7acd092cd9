/**
 * When the station service is "up" for systemd (READY=1), and the one line `systemctl status`
 * shows. Pure: the station feeds in what happened, the supervisor sends what this decides.
 *
 * Up means: the web app listens (or failed to start, which is logged: ingest still runs), or, with
 * the web app off, a library drive is attached, or no library drive appeared in the first seconds
 * (the station waits for one: there is nothing more to start). Never later than a maximum wait,
 * which stays below the unit's TimeoutStartSec so a slow drive does not get the station killed.
 */

export type ReadinessFact =
  | { kind: 'library-attached'; label: string }
  | { kind: 'library-detached' }
  | { kind: 'server-listening'; url: string }
  | { kind: 'server-failed'; error: string }
  /** The first seconds passed (mount table read, drives found or not). */
  | { kind: 'grace-elapsed' }
  /** The longest start-up allowed passed. */
  | { kind: 'max-wait-elapsed' };

export interface ReadinessState {
  serverEnabled: boolean;
  /** Label of the attached library drive (drive A). */
  library: string | undefined;
  server: { url: string } | { error: string } | undefined;
  graceElapsed: boolean;
  maxWaitElapsed: boolean;
  /** Once up, always up (READY=1 is sent once). */
  ready: boolean;
}

export function initialReadiness(serverEnabled: boolean): ReadinessState {
  return {
    serverEnabled,
    library: undefined,
    server: undefined,
    graceElapsed: false,
    maxWaitElapsed: false,
    ready: false,
  };
}

function isUp(s: ReadinessState): boolean {
  if (s.maxWaitElapsed || s.server) return true;
  if (s.library !== undefined) return !s.serverEnabled;
  return s.graceElapsed;
}

export function nextReadiness(s: ReadinessState, fact: ReadinessFact): ReadinessState {
  let n: ReadinessState;
  switch (fact.kind) {
    case 'library-attached':
      n = { ...s, library: fact.label };
      break;
    case 'library-detached':
      // The web app serves one drive's catalogue: it stops with it and starts with the next.
      n = { ...s, library: undefined, server: s.server && 'url' in s.server ? undefined : s.server };
      break;
    case 'server-listening':
      n = { ...s, server: { url: fact.url } };
      break;
    case 'server-failed':
      n = { ...s, server: { error: fact.error } };
      break;
    case 'grace-elapsed':
      n = { ...s, graceElapsed: true };
      break;
    case 'max-wait-elapsed':
      n = { ...s, maxWaitElapsed: true };
      break;
  }
  return { ...n, ready: s.ready || isUp(n) };
}

/** The STATUS= line: where the web app is and which drive is attached. */
export function readinessStatus(s: ReadinessState): string {
  const drive = s.library !== undefined ? `library drive "${s.library}"` : 'no library drive';
  if (s.server && 'url' in s.server) return `web app at ${s.server.url} · ${drive}`;
  if (s.server) return `web app could not start (${s.server.error}) · ${drive}`;
  if (!s.serverEnabled)
    return s.library !== undefined ? `${drive} attached (web app off)` : 'waiting for a library drive';
  if (s.library !== undefined) return `${drive} attached · starting the web app`;
  return s.ready ? 'waiting for a library drive (the web app starts with one)' : 'starting';
}
