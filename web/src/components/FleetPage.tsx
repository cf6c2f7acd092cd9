import { useEffect, useState } from 'preact/hooks';
import {
  ApiError,
  getFleet,
  getFleetSession,
  listFleetConfigs,
  listFleetSessions,
  startFleetSession,
  stopFleetSession,
} from '../api';
import { errorText } from '../error-text';
import { formatBytes, formatDateTime, formatNumber, t, type MessageKey } from '../i18n';
import { navigate, withQuery } from '../router';
import type {
  FleetConfigEntry,
  FleetOverview,
  FleetStartReport,
  FleetStation,
  SessionManifest,
} from '../types';
import { usePageVisible } from '../visibility';

const POLL_MS = 3000;

const when = (iso: string | null): string => (iso ? formatDateTime(Date.parse(iso)) : '–');

function span(seconds: number): string {
  if (seconds < 120) return `${formatNumber(Math.round(seconds))} s`;
  if (seconds < 7200) return `${formatNumber(Math.round(seconds / 60))} min`;
  if (seconds < 172_800) return `${formatNumber(Math.round(seconds / 3600))} h`;
  return `${formatNumber(Math.round(seconds / 86_400))} d`;
}

function StationRow({ s }: { s: FleetStation }) {
  const h = s.status?.health;
  return (
    <tr data-station={s.station} data-online={s.online ? 'yes' : 'no'}>
      <th scope="row">{s.station}</th>
      <td class={s.online ? 'ok' : 'warn'}>
        {t(s.online ? 'fleet.online' : 'fleet.offline')}
        {s.duplicates.length > 0 && (
          <span class="warn"> · {t('fleet.duplicate', { n: formatNumber(s.duplicates.length + 1) })}</span>
        )}
      </td>
      <td>
        {(s.status?.cameras ?? []).map((c) => (
          <span key={c.camera} class={`fleet-cam ${c.state}`} data-camera={c.camera} data-state={c.state}>
            {c.camera}: {t(`fleet.cam.${c.state}` as MessageKey)}{' '}
          </span>
        ))}
      </td>
      <td>{h ? formatBytes(h.freeBytes) : '–'}</td>
      <td>{h?.secondsUntilFull != null ? span(h.secondsUntilFull) : '–'}</td>
      <td>
        {h?.temperatureC != null ? `${formatNumber(Math.round(h.temperatureC))} °C` : '–'}
        {h?.throttled ? ` · ${t('fleet.throttled')}` : ''}
      </td>
    </tr>
  );
}

function Report({ r }: { r: FleetStartReport }) {
  return (
    <div class="fleet-report" role="status">
      <p>
        <strong>
          {t('fleet.report.title', {
            group: r.session.group,
            name: r.session.name,
            at: when(r.session.startAt),
          })}
        </strong>
      </p>
      <ul>
        {r.accepted.length > 0 && (
          <li class="ok" data-answer="accepted">
            {t('fleet.report.accepted', { stations: r.accepted.join(', ') })}
          </li>
        )}
        {r.refused.map((x) => (
          <li key={x.station} class="error" data-answer="refused" data-station={x.station} data-code={x.code}>
            {t('fleet.report.refused', { station: x.station, reason: x.reason })}
          </li>
        ))}
        {r.silent.length > 0 && (
          <li class="warn" data-answer="silent">
            {t('fleet.report.silent', { stations: r.silent.join(', ') })}
          </li>
        )}
        {r.clockWarnings.map((w) => (
          <li key={w.station} class="warn">
            {t('fleet.report.clock', { station: w.station, message: w.message })}
          </li>
        ))}
      </ul>
    </div>
  );
}

function StartForm({
  configs,
  onStarted,
}: {
  configs: FleetConfigEntry[];
  onStarted(r: FleetStartReport): void;
}) {
  const usable = configs.filter((c) => !c.problems);
  const [file, setFile] = useState(usable[0]?.file ?? '');
  const [name, setName] = useState('');
  const [minutes, setMinutes] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!file && usable[0]) setFile(usable[0].file);
  }, [configs]);
  if (configs.length === 0) return <p class="hint">{t('fleet.noConfigs')}</p>;
  const submit = (e: Event): void => {
    e.preventDefault();
    setBusy(true);
    setError('');
    const m = Number(minutes.replace(',', '.'));
    startFleetSession({
      config: file,
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(minutes.trim() && m > 0 ? { durationS: Math.round(m * 60) } : {}),
    })
      .then(onStarted)
      .catch((err: Error) => setError(errorText(err)))
      .finally(() => setBusy(false));
  };
  return (
    <form class="fleet-start" onSubmit={submit}>
      <label>
        {t('fleet.config')}
        <select name="config" value={file} onChange={(e) => setFile((e.target as HTMLSelectElement).value)}>
          {configs.map((c) => (
            <option key={c.file} value={c.file} disabled={!!c.problems}>
              {c.problems
                ? t('fleet.configInvalid', { file: c.file })
                : t('fleet.configLine', {
                    file: c.file,
                    group: c.group ?? '',
                    session: c.session ?? '',
                    n: formatNumber(c.cameras.length),
                    duration: span(c.maxDurationS ?? 0),
                  })}
            </option>
          ))}
        </select>
      </label>
      {configs
        .filter((c) => c.problems)
        .map((c) => (
          <p key={c.file} class="error config-problems" data-file={c.file}>
            {c.file}: {c.problems!.join('; ')}
          </p>
        ))}
      <label>
        {t('fleet.name')}
        <input
          name="name"
          value={name}
          pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,62}"
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        {t('fleet.duration')}
        <input
          name="minutes"
          inputMode="decimal"
          value={minutes}
          onInput={(e) => setMinutes((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" disabled={busy || !file}>
        {t('fleet.startButton')}
      </button>
      {busy && <p class="hint">{t('fleet.starting')}</p>}
      {error && <p class="error">{error}</p>}
    </form>
  );
}

function sums(m: SessionManifest): {
  accepted: number;
  refused: number;
  silent: number;
  segments: number;
  gaps: number;
} {
  const st = Object.values(m.stations);
  const cams = st.flatMap((s) => Object.values(s.cameras));
  return {
    accepted: st.filter((s) => s.answer === 'accepted').length,
    refused: st.filter((s) => s.answer === 'refused').length,
    silent: st.filter((s) => s.answer === 'silent').length,
    segments: cams.reduce((n, c) => n + c.segments.length, 0),
    gaps: cams.reduce((n, c) => n + c.gaps.length, 0),
  };
}

function SessionList({ sessions }: { sessions: SessionManifest[] }) {
  if (sessions.length === 0) return <p class="hint">{t('fleet.noSessions')}</p>;
  return (
    <table class="fleet-sessions">
      <thead>
        <tr>
          <th scope="col">{t('fleet.col.session')}</th>
          <th scope="col">{t('fleet.col.start')}</th>
          <th scope="col">{t('fleet.col.answers')}</th>
          <th scope="col">{t('fleet.col.segments')}</th>
          <th scope="col">{t('fleet.col.gaps')}</th>
        </tr>
      </thead>
      <tbody>
        {sessions.map((m) => {
          const n = sums(m);
          return (
            <tr key={m.id} data-session={m.id}>
              <th scope="row">
                <a
                  href={`/fleet?session=${encodeURIComponent(m.id)}`}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(withQuery({ session: m.id }));
                  }}
                >
                  {m.group}/{m.name}
                </a>
              </th>
              <td>{when(m.startAt)}</td>
              <td>
                {t('fleet.answers', {
                  accepted: formatNumber(n.accepted),
                  refused: formatNumber(n.refused),
                  silent: formatNumber(n.silent),
                })}
              </td>
              <td>{formatNumber(n.segments)}</td>
              <td class={n.gaps ? 'warn' : ''}>{formatNumber(n.gaps)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** One session's manifest: per station and camera what was asked and what happened. */
function ManifestView({ id }: { id: string }) {
  const visible = usePageVisible();
  const [m, setM] = useState<SessionManifest | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (!visible) return;
    let alive = true;
    const load = (): void => {
      getFleetSession(id)
        .then((r) => alive && (setM(r), setError('')))
        .catch((e: Error) => alive && setError(errorText(e)));
    };
    load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [id, visible]);
  return (
    <section class="page fleet-page fleet-manifest">
      <p>
        <a
          href="/fleet"
          onClick={(e) => {
            e.preventDefault();
            navigate(withQuery({ session: null }));
          }}
        >
          ← {t('fleet.manifest.back')}
        </a>
      </p>
      {error && <p class="error">{error}</p>}
      {m && (
        <>
          <h1>{t('fleet.manifest.title', { group: m.group, name: m.name })}</h1>
          <p>
            <a href={`/api/fleet/sessions/${encodeURIComponent(m.id)}`} download={`manifest-${m.id}.json`}>
              {t('fleet.manifest.json')}
            </a>
          </p>
          {Object.entries(m.stations).map(([name, s]) => (
            <article key={name} class="fleet-station" data-station={name} data-answer={s.answer}>
              <h2>
                {name} <small>{t(`fleet.manifest.answer.${s.answer}` as MessageKey)}</small>
                {s.joinedLate && <small class="warn"> · {t('fleet.manifest.late')}</small>}
              </h2>
              {s.refusal && (
                <p class="error">
                  {s.refusal.code}: {s.refusal.reason}
                </p>
              )}
              {s.clock && (
                <p class="hint">
                  {t('fleet.manifest.clock', { ms: formatNumber(Math.round(s.clock.offsetMs)) })}
                </p>
              )}
              {s.clockSamples && s.clockSamples.length > 0 && (
                <p class="hint clock-samples">
                  {t('fleet.manifest.clockSamples', {
                    n: formatNumber(s.clockSamples.length),
                    min: formatNumber(Math.round(Math.min(...s.clockSamples.map((x) => x.offsetMs)))),
                    max: formatNumber(Math.round(Math.max(...s.clockSamples.map((x) => x.offsetMs)))),
                  })}
                </p>
              )}
              {s.clockWarning && <p class="warn">{s.clockWarning}</p>}
              {(s.offline ?? []).map((o) => (
                <p key={o.from} class="warn offline">
                  {t('fleet.manifest.offline', {
                    from: when(o.from),
                    to: o.to ? when(o.to) : t('fleet.manifest.stillOffline'),
                  })}
                </p>
              ))}
              {Object.entries(s.cameras).map(([cam, c]) => (
                <section
                  key={cam}
                  class="fleet-camera"
                  data-camera={cam}
                  data-segments={c.segments.length}
                  data-gaps={c.gaps.length}
                >
                  <h3>{cam}</h3>
                  <ul>
                    <li>{t('fleet.manifest.requested', { at: when(c.requestedAt) })}</li>
                    <li>{t('fleet.manifest.actual', { at: when(c.actualAt) })}</li>
                    {c.applied?.exposure && (
                      <li class={`exposure${c.applied.exposure.status === 'settled' ? '' : ' warn'}`}>
                        {t(
                          c.applied.exposure.status === 'settled'
                            ? 'fleet.manifest.exposure'
                            : 'fleet.manifest.exposureUnsettled',
                          {
                            shutter: formatNumber(c.applied.exposure.shutterUs),
                            gain: formatNumber(c.applied.exposure.analogueGain),
                            awb:
                              c.applied.exposure.colourGains?.map((g) => formatNumber(g)).join(' / ') ?? '—',
                            why: c.applied.exposure.why ?? '',
                          },
                        )}
                      </li>
                    )}
                    {c.applied?.rtspUrl && (
                      <li class="rtsp">
                        {t('fleet.manifest.rtsp')} <code>{c.applied.rtspUrl}</code>
                      </li>
                    )}
                    {c.stoppedAt && (
                      <li>
                        {t('fleet.manifest.stopped', { at: when(c.stoppedAt), reason: c.stopReason ?? '?' })}
                      </li>
                    )}
                    <li>
                      {t('fleet.manifest.segments', {
                        n: formatNumber(c.segments.length),
                        bytes: formatBytes(c.segments.reduce((n, x) => n + x.bytes, 0)),
                      })}
                    </li>
                    {c.gaps.map((g) => (
                      <li key={g.from} class="warn gap">
                        {t('fleet.manifest.gap', { from: when(g.from), to: when(g.to), reason: g.reason })}
                      </li>
                    ))}
                    {c.errors.map((x) => (
                      <li key={x.at} class="error">
                        {t('fleet.manifest.error', { at: when(x.at), message: x.message })}
                      </li>
                    ))}
                  </ul>
                  <details>
                    <summary>{t('fleet.manifest.settings')}</summary>
                    <pre>{JSON.stringify(c.settings, null, 2)}</pre>
                  </details>
                </section>
              ))}
            </article>
          ))}
        </>
      )}
    </section>
  );
}

/**
 * The fleet conductor's page: stations and their health, sessions running (stop), a start from
 * one of the conductor's fleet configs with every station's answer, and the session manifests.
 */
export function FleetPage({ query, canEdit }: { query: URLSearchParams; canEdit: boolean }) {
  const session = query.get('session');
  const visible = usePageVisible();
  const [overview, setOverview] = useState<FleetOverview | null>(null);
  const [absent, setAbsent] = useState(false);
  const [configs, setConfigs] = useState<FleetConfigEntry[]>([]);
  const [sessions, setSessions] = useState<SessionManifest[]>([]);
  const [report, setReport] = useState<FleetStartReport | null>(null);
  const [stopNote, setStopNote] = useState('');
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (!visible || session) return;
    let alive = true;
    let n = 0;
    const load = (): void => {
      getFleet()
        .then((r) => alive && (setOverview(r), setError('')))
        .catch((e: Error) => {
          if (!alive) return;
          if (e instanceof ApiError && e.status === 404) setAbsent(true);
          else setError(errorText(e));
        });
      if (n++ % 5 === 0) {
        listFleetConfigs()
          .then((r) => alive && setConfigs(r.configs))
          .catch(() => undefined);
        listFleetSessions()
          .then((r) => alive && setSessions(r.sessions))
          .catch(() => undefined);
      }
    };
    load();
    const timer = setInterval(load, POLL_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [visible, session, tick]);

  if (session) return <ManifestView id={session} />;
  const stop = (id: string): void => {
    setStopNote('');
    stopFleetSession(id)
      .then((r) =>
        setStopNote(
          [
            t('fleet.stopped', { stopped: r.stopped.join(', ') || '–' }),
            r.silent.length ? t('fleet.stoppedSilent', { silent: r.silent.join(', ') }) : '',
          ].join(' '),
        ),
      )
      .catch((e: Error) => setError(errorText(e)))
      .finally(() => setTick((x) => x + 1));
  };
  return (
    <section class="page fleet-page">
      <h1>{t('fleet.title')}</h1>
      {absent && <p>{t('fleet.none')}</p>}
      {error && <p class="error">{error}</p>}
      {overview && (
        <>
          <p
            class={overview.broker.connected ? 'hint' : 'error'}
            data-broker={overview.broker.connected ? 'up' : 'down'}
          >
            {t(overview.broker.connected ? 'fleet.broker' : 'fleet.broker.down', {
              url: overview.broker.url,
            })}
          </p>
          {overview.alerts.length > 0 && (
            <ul class="fleet-alerts" role="alert">
              {overview.alerts.map((a) => (
                <li
                  key={`${a.kind}/${a.station}/${a.camera ?? ''}`}
                  class="error"
                  data-alert={a.kind}
                  data-station={a.station}
                >
                  {t(`fleet.alert.${a.kind}` as MessageKey, {
                    station: a.station,
                    camera: a.camera ?? '',
                    since: when(a.since),
                  })}
                </li>
              ))}
            </ul>
          )}
          <h2>{t('fleet.stations')}</h2>
          {overview.stations.length === 0 ? (
            <p class="hint">{t('fleet.noStations')}</p>
          ) : (
            <table class="fleet-stations">
              <thead>
                <tr>
                  <th scope="col">{t('fleet.col.station')}</th>
                  <th scope="col">{t('fleet.col.state')}</th>
                  <th scope="col">{t('fleet.col.cameras')}</th>
                  <th scope="col">{t('fleet.col.free')}</th>
                  <th scope="col">{t('fleet.col.full')}</th>
                  <th scope="col">{t('fleet.col.temp')}</th>
                </tr>
              </thead>
              <tbody>
                {overview.stations.map((s) => (
                  <StationRow key={s.station} s={s} />
                ))}
              </tbody>
            </table>
          )}
          <h2>{t('fleet.running')}</h2>
          {overview.sessions.filter((x) => !x.stopAt).length === 0 ? (
            <p class="hint">{t('fleet.noRunning')}</p>
          ) : (
            <ul class="fleet-running">
              {overview.sessions
                .filter((x) => !x.stopAt)
                .map((x) => (
                  <li key={x.session.id} data-session={x.session.id}>
                    {t('fleet.runningLine', {
                      group: x.session.group,
                      name: x.session.name,
                      stations: x.stations.join(', '),
                      end: when(
                        new Date(Date.parse(x.session.startAt) + x.session.maxDurationS * 1000).toISOString(),
                      ),
                    })}{' '}
                    {canEdit && (
                      <button type="button" class="danger" onClick={() => stop(x.session.id)}>
                        {t('fleet.stop', { name: x.session.name })}
                      </button>
                    )}
                  </li>
                ))}
            </ul>
          )}
          {stopNote && (
            <p class="hint stop-note" role="status">
              {stopNote}
            </p>
          )}
          {canEdit && (
            <>
              <h2>{t('fleet.start')}</h2>
              <StartForm
                configs={configs}
                onStarted={(r) => {
                  setReport(r);
                  setTick((x) => x + 1);
                }}
              />
              {report && <Report r={report} />}
            </>
          )}
        </>
      )}
      {!absent && (
        <>
          <h2>{t('fleet.sessions')}</h2>
          <SessionList sessions={sessions} />
        </>
      )}
    </section>
  );
}
