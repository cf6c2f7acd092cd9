import type { UplinkStatus } from '../types';

const CLASS_LABEL: Record<string, string> = {
  ops: 'Tags and edits',
  thumb: 'Thumbnails',
  'rated-preview': 'Rated / priority: previews',
  'rated-original': 'Rated / priority: originals',
  preview: 'Previews',
  photo: 'Photos',
  audio: 'Audio',
  video: 'Video',
};

const STATE_TEXT: Record<UplinkStatus['state'], string> = {
  starting: 'starting',
  idle: 'all sent',
  sending: 'sending',
  paused: 'paused by the timetable',
  offline: 'offline: resumes by itself when the link returns',
  'hq-error': 'HQ has a problem: retrying',
  'auth-failed': 'HQ refuses this station key: ask HQ for a new one',
  stopped: 'stopped',
};

export const bytes = (n: number): string =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(2)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : `${Math.round(n / 1e3)} kB`;

const eta = (s: number | null): string =>
  s === null
    ? '?'
    : s < 90
      ? `${s} s`
      : s < 5400
        ? `${Math.round(s / 60)} min`
        : `${(s / 3600).toFixed(1)} h`;

/** The queue to HQ: per class what is left, the rate, ETA, what is on the wire, the last error. */
export function UplinkPanel({ u }: { u: UplinkStatus | null }) {
  if (!u) return <p>The uplink to HQ is not configured (`uplink:` in the station's config file).</p>;
  const classes = Object.entries(u.queue).filter(([, q]) => q.transfers > 0);
  return (
    <div class="uplink" data-state={u.state}>
      <p>
        <strong>{STATE_TEXT[u.state]}</strong> · {bytes(u.pendingBytes)} left
        {u.rateBps ? ` · ${bytes(u.rateBps)}/s` : ''}
        {u.pendingBytes ? ` · ETA ${eta(u.etaSeconds)}` : ''}
        {u.limitBps ? ` · paced at ${bytes(u.limitBps)}/s` : ''}
        {u.opsPending ? ` · ${u.opsPending} edits to send` : ''}
        {u.link ? ` · Wi-Fi ${u.link}` : ''}
      </p>
      {u.current && (
        <p class="uplink-current">
          Now: {u.current.rendition} of {u.current.item.slice(0, 12)}… (
          {CLASS_LABEL[u.current.cls] ?? u.current.cls}){' '}
          <progress max={u.current.size} value={u.current.offset} />
        </p>
      )}
      {classes.length > 0 && (
        <table class="uplink-queue">
          <thead>
            <tr>
              <th>Queue (in sending order)</th>
              <th>Files</th>
              <th>Left</th>
            </tr>
          </thead>
          <tbody>
            {classes.map(([cls, q]) => (
              <tr key={cls} data-class={cls}>
                <td>{CLASS_LABEL[cls] ?? cls}</td>
                <td>{q.transfers}</td>
                <td>{bytes(q.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {u.lastError && (
        <p class="error">
          Last error ({u.lastError.at.slice(11, 19)}): {u.lastError.message}
        </p>
      )}
    </div>
  );
}
