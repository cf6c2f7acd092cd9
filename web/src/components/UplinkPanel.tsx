import { formatBytes, formatNumber, hasMessage, t, tn } from '../i18n';
import type { UplinkStatus } from '../types';

/** A queue class (uplink priority order) in the user's language; an unknown one as it is. */
const classLabel = (cls: string): string => {
  const key = `uplink.class.${cls}`;
  return hasMessage(key) ? t(key) : cls;
};

export const bytes = (n: number): string => formatBytes(n);

const eta = (s: number | null): string =>
  s === null
    ? '?'
    : s < 90
      ? `${formatNumber(s)} s`
      : s < 5400
        ? `${formatNumber(Math.round(s / 60))} min`
        : `${(s / 3600).toLocaleString(undefined, { maximumFractionDigits: 1 })} h`;

/** The queue to HQ: per class what is left, the rate, ETA, what is on the wire, the last error. */
export function UplinkPanel({ u }: { u: UplinkStatus | null }) {
  if (!u) return <p>{t('uplink.notConfigured')}</p>;
  const classes = Object.entries(u.queue).filter(([, q]) => q.transfers > 0);
  return (
    <div class="uplink" data-state={u.state}>
      <p>
        <strong>{t(`uplink.state.${u.state}`)}</strong> · {t('uplink.left', { size: bytes(u.pendingBytes) })}
        {u.rateBps ? ` · ${t('uplink.rate', { size: bytes(u.rateBps) })}` : ''}
        {u.pendingBytes ? ` · ${t('uplink.eta', { eta: eta(u.etaSeconds) })}` : ''}
        {u.limitBps ? ` · ${t('uplink.paced', { size: bytes(u.limitBps) })}` : ''}
        {u.opsPending ? ` · ${tn('uplink.edits', u.opsPending)}` : ''}
        {u.link ? ` · ${t('uplink.wifi', { link: u.link })}` : ''}
      </p>
      {u.current && (
        <p class="uplink-current">
          {t('uplink.now', {
            rendition: u.current.rendition,
            item: u.current.item.slice(0, 12),
            cls: classLabel(u.current.cls),
          })}{' '}
          <progress max={u.current.size} value={u.current.offset} />
        </p>
      )}
      {classes.length > 0 && (
        <table class="uplink-queue">
          <thead>
            <tr>
              <th>{t('uplink.queue')}</th>
              <th>{t('uplink.files')}</th>
              <th>{t('uplink.leftCol')}</th>
            </tr>
          </thead>
          <tbody>
            {classes.map(([cls, q]) => (
              <tr key={cls} data-class={cls}>
                <td>{classLabel(cls)}</td>
                <td>{formatNumber(q.transfers)}</td>
                <td>{bytes(q.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {u.lastError && (
        <p class="error">
          {t('uplink.lastError', { time: u.lastError.at.slice(11, 19), message: u.lastError.message })}
        </p>
      )}
    </div>
  );
}
