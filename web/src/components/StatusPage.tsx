import { useEffect, useState } from 'preact/hooks';
import { getStatus } from '../api';
import { errorText } from '../error-text';
import { formatBytes, formatDate, formatNumber, hasMessage, t, tn, type MessageKey } from '../i18n';
import type { IngestProgress, Status, UplinkStatus } from '../types';
import { ClockBanner } from './ClockBanner';
import { DrivesPanel } from './DrivesPanel';
import { IngestReport } from './IngestReport';
import { UplinkPanel } from './UplinkPanel';
import { SnapshotStatusPanel } from './SnapshotsPage';

const INDICATORS = ['CARD', 'DRIVE A', 'DRIVE B', 'BACKUP', 'UPLINK'] as const;

/** A word the station sends (an ingest or mirror phase) in the user's language, if the app has it. */
const phaseText = (phase: string): string => {
  const key = `status.phase.${phase}`;
  return hasMessage(key) ? t(key) : phase;
};

interface Live {
  text: MessageKey;
  progress: IngestProgress | null;
}

/** Indicator states (same looks as the LEDs) and live ingest progress (server-sent events). */
export function StatusPage() {
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState('');
  const [live, setLive] = useState<Live>({ text: 'status.live.connecting', progress: null });
  const [uplink, setUplink] = useState<UplinkStatus | null | undefined>(undefined);
  /** Bumped on `clock-status` events: the clock banner asks again. */
  const [clockTick, setClockTick] = useState(0);
  const [powerLow, setPowerLow] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = (): void => {
      getStatus()
        .then((s) => alive && (setStatus(s), setUplink(s.uplink), setError('')))
        .catch((e: unknown) => alive && setError(errorText(e)));
    };
    load();
    const timer = setInterval(load, 10_000);
    const es = new EventSource('/api/events', { withCredentials: true });
    es.addEventListener('hello', () => setLive((l) => ({ ...l, text: 'status.live.live' })));
    es.addEventListener('uplink-status', (e) =>
      setUplink(JSON.parse((e as MessageEvent<string>).data) as UplinkStatus),
    );
    es.addEventListener('ingest-progress', (e) => {
      const d = JSON.parse((e as MessageEvent<string>).data) as { progress?: IngestProgress };
      setLive({ text: 'status.live.ingesting', progress: d.progress ?? null });
    });
    for (const name of [
      'ingest-done',
      'ingest-failed',
      'card-inserted',
      'card-removed',
      'library-attached',
      'partner-attached',
      'partner-detached',
      'mirror-done',
      'mirror-failed',
      'device-ejected',
      'device-eject-failed',
      'device-pulled',
    ]) {
      es.addEventListener(name, () => {
        setLive((l) => ({ ...l, text: `status.live.${name}` as MessageKey }));
        load();
      });
    }
    es.addEventListener('clock-status', () => {
      setClockTick((n) => n + 1);
      load();
    });
    es.addEventListener('power-low', (e) =>
      setPowerLow((JSON.parse((e as MessageEvent<string>).data) as { detail: string }).detail),
    );
    es.onerror = () => setLive((l) => ({ ...l, text: 'status.live.reconnecting' }));
    return () => {
      alive = false;
      clearInterval(timer);
      es.close();
    };
  }, []);

  const p = live.progress ?? status?.ingest?.progress ?? null;
  const pct = p && p.bytesTotal > 0 ? Math.round((100 * p.bytesDone) / p.bytesTotal) : null;
  return (
    <section class="page status-page">
      <h1>{t('status.title')}</h1>
      {error && <p class="error">{error}</p>}
      {powerLow && (
        <p class="error power-low" role="alert">
          {t('power.low', { detail: powerLow })}
        </p>
      )}
      <ClockBanner refresh={clockTick} />
      {/* Offline use and installing the app need HTTPS (a secure context): say so over plain HTTP. */}
      {!window.isSecureContext && (
        <p class="hint insecure-context" data-insecure="yes">
          {t('status.insecure')} <a href="/trust">/trust</a>
        </p>
      )}
      <ul class="indicators">
        {INDICATORS.map((name) => {
          const ind = status?.indicators[name];
          return (
            <li key={name} class={`indicator look-${ind?.look ?? 'off'}`} data-indicator={name}>
              <span class="led" aria-hidden="true" />
              <strong>{t(`status.ind.${name}`)}</strong>
              <span class="detail">{ind ? ind.detail : '…'}</span>
              {ind?.placeholder && <small>{t('status.notWired')}</small>}
            </li>
          );
        })}
      </ul>
      <h2>
        {t('status.ingest')} <small class="live">{t(live.text)}</small>
      </h2>
      {p ? (
        <div class="ingest">
          <progress max={100} value={pct ?? undefined} />
          <p>
            {phaseText(p.phase)}: {tn('status.files', p.filesTotal, { done: formatNumber(p.filesDone) })}
            {pct !== null ? ` · ${pct} %` : ''}
            {p.current ? ` · ${p.current}` : ''}
          </p>
        </div>
      ) : (
        <p>{status?.ingest ? t(`status.lastIngest.${status.ingest.state}`) : t('status.noIngest')}</p>
      )}
      {!p && status?.ingest?.summary && <IngestReport report={status.ingest.summary} />}
      {status?.ingest?.error && (
        <p class="error">
          {status.ingest.error.message} {status.ingest.error.hint}
        </p>
      )}
      <h2>{t('status.drives')}</h2>
      <DrivesPanel />
      <h2>{t('status.backup')}</h2>
      {status?.mirror ? (
        <p class="mirror" data-state={status.mirror.state}>
          {status.mirror.partner
            ? t('status.mirror.drive', { label: status.mirror.partner.label })
            : t('status.mirror.away')}
          {status.mirror.state === 'running' && status.mirror.progress
            ? t('status.mirror.running', {
                phase: phaseText(status.mirror.progress.phase),
                done: formatNumber(status.mirror.progress.filesDone),
                total: formatNumber(status.mirror.progress.filesTotal),
              })
            : status.mirror.state === 'done'
              ? t('status.mirror.done', {
                  to: formatNumber(status.mirror.summary?.copiedAtoB ?? 0),
                  from: formatNumber(status.mirror.summary?.copiedBtoA ?? 0),
                })
              : status.mirror.state === 'failed'
                ? t('status.mirror.failed', {
                    message:
                      `${status.mirror.error?.message ?? ''} ${status.mirror.error?.hint ?? ''}`.trim(),
                  })
                : status.mirror.behind
                  ? tn('status.mirror.behind', status.mirror.behind)
                  : t('status.mirror.waiting')}
        </p>
      ) : (
        <p>{t('status.mirror.none')}</p>
      )}
      {status?.scrub && (
        <p class={status.scrub.openDamage > 0 ? 'scrub error' : 'scrub'} data-state={status.scrub.state}>
          {status.scrub.openDamage > 0
            ? tn('status.scrub.damaged', status.scrub.openDamage, {
                paths: status.scrub.damaged
                  .slice(0, 3)
                  .map((d) => d.path)
                  .join(', '),
              })
            : status.scrub.state === 'running' && status.scrub.progress
              ? t('status.scrub.running', {
                  done: formatNumber(status.scrub.progress.itemsDone),
                  total: formatNumber(status.scrub.progress.itemsTotal),
                })
              : status.scrub.state === 'failed'
                ? t('status.scrub.failed', {
                    message: `${status.scrub.error?.message ?? ''} ${status.scrub.error?.hint ?? ''}`.trim(),
                  })
                : status.scrub.lastCompletedAt
                  ? t('status.scrub.checked', {
                      date: formatDate(Date.parse(status.scrub.lastCompletedAt)),
                    }) +
                    (status.scrub.lastRun?.repaired
                      ? t('status.scrub.repaired', { n: formatNumber(status.scrub.lastRun.repaired) })
                      : '')
                  : t('status.scrub.notRun')}
        </p>
      )}
      <h2>{t('status.uplink')}</h2>
      {uplink !== undefined && <UplinkPanel u={uplink} />}
      <SnapshotStatusPanel />
      {status && (
        <>
          <h2>{t('status.library')}</h2>
          <p>
            {status.library.label} · {tn('status.items', status.items.total)} (
            {tn('status.photos', status.items.photo)}, {tn('status.videos', status.items.video)},{' '}
            {t('status.audio', { n: formatNumber(status.items.audio) })}) ·{' '}
            {t('status.free', {
              free: formatBytes(status.library.freeBytes),
              total: formatBytes(status.library.totalBytes),
            })}
          </p>
        </>
      )}
    </section>
  );
}
