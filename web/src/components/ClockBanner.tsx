import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { formatDateTime, t, type MessageKey } from '../i18n';

/** GET /api/system/clock (src/server/routes/system.ts). */
interface ClockView {
  state: 'trusted' | 'suspect';
  reason: 'before-build' | 'behind-evidence' | 'jumped-back' | null;
  now: string;
  newest: { source: 'catalogue' | 'hlc' | 'last-good'; at: string } | null;
  ntp: { active: boolean; synchronized: boolean } | null;
  canSet: boolean;
  allowSet: boolean;
}

/** A trusted station clock further than this from the tablet's is still worth a word. */
const DIFFERS_MS = 5 * 60_000;
const REFRESH_MS = 30_000;

type Stage = 'idle' | 'confirm' | 'overrule' | 'busy' | 'done';

/**
 * The station's clock on the status page: when the station finds it implausible (a Pi has no
 * battery clock), or when it differs from the tablet's, say so with both times and offer to set
 * it to the tablet's time, after a confirmation (a second one when the time is before what the
 * library recorded). Nothing on HQ (no such route) or when all is well.
 */
export function ClockBanner({ refresh = 0 }: { refresh?: number }) {
  const [clock, setClock] = useState<{ view: ClockView; offsetMs: number } | null>(null);
  const [stage, setStage] = useState<Stage>('idle');
  const [error, setError] = useState('');

  const load = (): void => {
    const t0 = Date.now();
    api<ClockView>('GET', '/api/system/clock')
      .then((view) => {
        // The station's clock against the tablet's, at the middle of the request.
        setClock({ view, offsetMs: Date.parse(view.now) - (t0 + Date.now()) / 2 });
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) setClock(null);
      });
  };
  useEffect(load, [refresh]);
  useEffect(() => {
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  if (!clock) return null;
  const { view, offsetMs } = clock;
  const suspect = view.state === 'suspect';
  const differs = Math.abs(offsetMs) > DIFFERS_MS;
  if (!suspect && !differs && stage !== 'done') return null;

  const apply = (overrule: boolean): void => {
    setStage('busy');
    setError('');
    api<ClockView>('POST', '/api/system/clock', {
      time: new Date().toISOString(),
      confirm: true,
      ...(overrule ? { overrule: true } : {}),
    })
      .then(() => {
        setStage('done');
        load();
      })
      .catch((e: unknown) => {
        const err = e instanceof ApiError ? e : new ApiError(0, 'ERROR', String(e));
        const overrulable =
          err.code === 'CLOCK_REFUSED' && (err.details as { overrulable?: boolean } | undefined)?.overrulable;
        setError(`${err.message} ${err.hint}`.trim());
        setStage(overrulable && !overrule ? 'overrule' : 'idle');
      });
  };

  const now = Date.now();
  const times = { station: formatDateTime(now + offsetMs), tablet: formatDateTime(now) };
  const reason =
    suspect && view.reason
      ? t(`clock.reason.${view.reason}` as MessageKey, {
          newest: view.newest ? t(`clock.newest.${view.newest.source}` as MessageKey) : '',
          newestAt: view.newest ? formatDateTime(Date.parse(view.newest.at)) : '',
        })
      : '';
  const settable = view.allowSet && view.canSet;
  return (
    <div
      class={`clock-banner ${suspect ? 'suspect' : 'differs'}`}
      role="alert"
      data-state={stage === 'done' && !suspect && !differs ? 'set' : view.state}
    >
      {stage === 'done' && !suspect && !differs ? (
        <p>{t('clock.done')}</p>
      ) : (
        <>
          <p>
            {t(suspect ? 'clock.suspect' : 'clock.differs', times)} {reason}
          </p>
          {suspect && <p>{t('clock.waiting')}</p>}
          {view.ntp?.synchronized && <p class="hint">{t('clock.ntp')}</p>}
          {!view.allowSet && <p class="hint">{t('clock.notAllowed')}</p>}
          {settable && (stage === 'idle' || stage === 'done') && (
            <button type="button" class="edit-only clock-set" onClick={() => setStage('confirm')}>
              {t('clock.set')}
            </button>
          )}
          {(stage === 'confirm' || stage === 'overrule' || stage === 'busy') && (
            <div class="clock-confirm" role="alertdialog" aria-label={t('clock.set')}>
              <p>{stage === 'overrule' ? error : t('clock.confirm', { tablet: times.tablet })}</p>
              <button
                type="button"
                class="clock-yes"
                disabled={stage === 'busy'}
                onClick={() => apply(stage === 'overrule')}
              >
                {stage === 'overrule' ? t('clock.overrule') : t('clock.confirm.yes')}
              </button>{' '}
              <button
                type="button"
                class="secondary clock-cancel"
                disabled={stage === 'busy'}
                onClick={() => {
                  setStage('idle');
                  setError('');
                }}
              >
                {t('clock.confirm.cancel')}
              </button>
            </div>
          )}
          {error && stage === 'idle' && <p class="error">{error}</p>}
        </>
      )}
    </div>
  );
}
