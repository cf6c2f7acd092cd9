import { useEffect, useState } from 'preact/hooks';
import { getStatus } from '../api';
import { t } from '../i18n';
import type { IngestProgress, Status, UplinkStatus } from '../types';
import { ClockBanner } from './ClockBanner';
import { DrivesPanel } from './DrivesPanel';
import { UplinkPanel } from './UplinkPanel';

const INDICATORS = ['CARD', 'DRIVE A', 'DRIVE B', 'BACKUP', 'UPLINK'];
const gb = (n: number | null): string => (n === null ? '?' : `${(n / 1e9).toFixed(1)} GB`);

interface Live {
  text: string;
  progress: IngestProgress | null;
}

/** Indicator states (same looks as the LEDs) and live ingest progress (server-sent events). */
export function StatusPage() {
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState('');
  const [live, setLive] = useState<Live>({ text: 'connecting…', progress: null });
  const [uplink, setUplink] = useState<UplinkStatus | null | undefined>(undefined);
  /** Bumped on `clock-status` events: the clock banner asks again. */
  const [clockTick, setClockTick] = useState(0);
  const [powerLow, setPowerLow] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = (): void => {
      getStatus()
        .then((s) => alive && (setStatus(s), setUplink(s.uplink), setError('')))
        .catch((e: Error) => alive && setError(e.message));
    };
    load();
    const timer = setInterval(load, 10_000);
    const es = new EventSource('/api/events', { withCredentials: true });
    es.addEventListener('hello', () => setLive((l) => ({ ...l, text: 'live' })));
    es.addEventListener('uplink-status', (e) =>
      setUplink(JSON.parse((e as MessageEvent<string>).data) as UplinkStatus),
    );
    es.addEventListener('ingest-progress', (e) => {
      const d = JSON.parse((e as MessageEvent<string>).data) as { progress?: IngestProgress };
      setLive({ text: 'ingesting', progress: d.progress ?? null });
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
        setLive((l) => ({ ...l, text: name.replace('-', ' ') }));
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
    es.onerror = () => setLive((l) => ({ ...l, text: 'reconnecting…' }));
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
      <h1>Status</h1>
      {error && <p class="error">{error}</p>}
      {powerLow && (
        <p class="error power-low" role="alert">
          {t('power.low', { detail: powerLow })}
        </p>
      )}
      <ClockBanner refresh={clockTick} />
      <ul class="indicators">
        {INDICATORS.map((name) => {
          const ind = status?.indicators[name];
          return (
            <li key={name} class={`indicator look-${ind?.look ?? 'off'}`} data-indicator={name}>
              <span class="led" aria-hidden="true" />
              <strong>{name}</strong>
              <span>{ind ? ind.detail : '…'}</span>
              {ind?.placeholder && <small>(not yet wired)</small>}
            </li>
          );
        })}
      </ul>
      <h2>
        Ingest <small class="live">{live.text}</small>
      </h2>
      {p ? (
        <div class="ingest">
          <progress max={100} value={pct ?? undefined} />
          <p>
            {p.phase}: {p.filesDone}/{p.filesTotal} files{pct !== null ? ` · ${pct}%` : ''}
            {p.current ? ` · ${p.current}` : ''}
          </p>
        </div>
      ) : (
        <p>
          {status?.ingest ? `Last ingest: ${status.ingest.state}` : 'No ingest since the station started.'}
        </p>
      )}
      {status?.ingest?.error && (
        <p class="error">
          {status.ingest.error.message} {status.ingest.error.hint}
        </p>
      )}
      <h2>Drives</h2>
      <DrivesPanel />
      <h2>Backup (second drive)</h2>
      {status?.mirror ? (
        <p class="mirror" data-state={status.mirror.state}>
          {status.mirror.partner ? `Drive ${status.mirror.partner.label}: ` : 'Second drive away: '}
          {status.mirror.state === 'running' && status.mirror.progress
            ? `mirroring, ${status.mirror.progress.phase} ${status.mirror.progress.filesDone}/${status.mirror.progress.filesTotal} files`
            : status.mirror.state === 'done'
              ? `identical (${status.mirror.summary?.copiedAtoB ?? 0} copied to it, ${status.mirror.summary?.copiedBtoA ?? 0} from it): safe to remove`
              : status.mirror.state === 'failed'
                ? `mirror failed: ${status.mirror.error?.message ?? ''} ${status.mirror.error?.hint ?? ''}`
                : status.mirror.behind
                  ? `${status.mirror.behind} new items not on it yet`
                  : 'waiting to mirror'}
        </p>
      ) : (
        <p>No second drive seen yet: plug one in to keep a copy.</p>
      )}
      {status?.scrub && (
        <p class={status.scrub.openDamage > 0 ? 'scrub error' : 'scrub'} data-state={status.scrub.state}>
          {status.scrub.openDamage > 0
            ? `Scrub: ${status.scrub.openDamage} damaged file(s) could not be repaired (${status.scrub.damaged
                .slice(0, 3)
                .map((d) => d.path)
                .join(', ')}); plug in the other drive or restore them from HQ`
            : status.scrub.state === 'running' && status.scrub.progress
              ? `Scrub: checking ${status.scrub.progress.itemsDone}/${status.scrub.progress.itemsTotal} items`
              : status.scrub.state === 'failed'
                ? `Scrub failed: ${status.scrub.error?.message ?? ''} ${status.scrub.error?.hint ?? ''}`
                : status.scrub.lastCompletedAt
                  ? `Scrub: all files checked ${status.scrub.lastCompletedAt.slice(0, 10)}${status.scrub.lastRun?.repaired ? `, ${status.scrub.lastRun.repaired} repaired` : ''}`
                  : 'Scrub: not run yet'}
        </p>
      )}
      <h2>Uplink to HQ</h2>
      {uplink !== undefined && <UplinkPanel u={uplink} />}
      {status && (
        <>
          <h2>Library</h2>
          <p>
            {status.library.label} · {status.items.total} items ({status.items.photo} photos,{' '}
            {status.items.video} videos, {status.items.audio} audio) · {gb(status.library.freeBytes)} free of{' '}
            {gb(status.library.totalBytes)}
          </p>
        </>
      )}
    </section>
  );
}
