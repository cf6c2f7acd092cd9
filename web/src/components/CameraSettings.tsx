import { useEffect, useState } from 'preact/hooks';
import { getCameraSettings, patchCameraSettings } from '../api';
import { errorText } from '../error-text';
import { formatNumber, t } from '../i18n';
import type { CameraApplied, CameraPatch, OverlayPosition } from '../types';

const POSITIONS: OverlayPosition[] = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];

function summary(s: CameraApplied): string {
  return [
    `${s.rotation}°`,
    s.hflip ? t('camset.hflip') : '',
    s.vflip ? t('camset.vflip') : '',
    s.width && s.height ? `${s.width}×${s.height}` : t('camset.sourceSize'),
    s.fps ? `${formatNumber(s.fps)} fps` : t('camset.sourceRate'),
    `${formatNumber(s.segmentSeconds)} s`,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** One on/off setting of the form. */
function Check(p: { name: string; checked: boolean; set: (v: boolean) => void; label: string }) {
  return (
    <label class="check">
      <input
        type="checkbox"
        name={p.name}
        checked={p.checked}
        onChange={(e) => p.set((e.target as HTMLInputElement).checked)}
      />
      {p.label}
    </label>
  );
}

/**
 * A camera's settings, changed on the fly by an editor (the station restarts its pipeline and
 * keeps them across restarts); shows what the camera runs with once applied.
 */
export function CameraSettings({ name, mode }: { name: string; mode?: 'continuous' | 'motion' }) {
  const [applied, setApplied] = useState<CameraApplied | null>(null);
  const [rotation, setRotation] = useState('0');
  const [hflip, setHflip] = useState(false);
  const [vflip, setVflip] = useState(false);
  const [size, setSize] = useState('');
  const [fps, setFps] = useState('');
  const [segment, setSegment] = useState('');
  const [live, setLive] = useState(true);
  const [timestamp, setTimestamp] = useState(true);
  const [position, setPosition] = useState<OverlayPosition>('top-left');
  const [highlight, setHighlight] = useState(false);
  const [threshold, setThreshold] = useState('');
  const [stream, setStream] = useState(false);
  const [recMode, setRecMode] = useState<'continuous' | 'motion'>(mode ?? 'continuous');
  const [audio, setAudio] = useState('');
  const [controls, setControls] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const [error, setError] = useState('');

  const show = (s: CameraApplied): void => {
    setApplied(s);
    setRotation(String(s.rotation));
    setHflip(s.hflip);
    setVflip(s.vflip);
    setSize(s.width && s.height ? `${s.width}x${s.height}` : '');
    setFps(s.fps ? String(s.fps) : '');
    setSegment(String(s.segmentSeconds));
    setLive(s.live);
    setTimestamp(s.timestamp);
    setPosition(s.timestampPosition);
    setHighlight(s.motionHighlight);
    setThreshold(String(s.motionThreshold));
    setStream(s.rtsp);
    setRecMode(s.mode);
    setAudio(s.audio ?? '');
    setControls(
      Object.entries(s.controls)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
    );
  };
  useEffect(() => {
    getCameraSettings(name)
      .then(show)
      .catch((e: Error) => setError(errorText(e)));
  }, [name]);

  const send = (patch: CameraPatch): void => {
    setBusy(true);
    setError('');
    setNote(t('camset.applying'));
    patchCameraSettings(name, patch)
      .then((s) => {
        show(s);
        setNote(t('camset.applied', { summary: summary(s) }));
      })
      .catch((e: Error) => {
        setNote('');
        setError(errorText(e));
      })
      .finally(() => setBusy(false));
  };
  const submit = (e: Event): void => {
    e.preventDefault();
    const m = /^\s*(\d{2,4})\s*[x×]\s*(\d{2,4})\s*$/.exec(size);
    if (size.trim() && !m) {
      setError(t('camset.badSize'));
      return;
    }
    const f = Number(fps.replace(',', '.'));
    const seg = Number(segment.replace(',', '.'));
    const th = Number(threshold);
    const ctl: Record<string, string> = {};
    for (const part of controls
      .split(/[,;\n]+/)
      .map((x) => x.trim())
      .filter(Boolean)) {
      const eq = part.indexOf('=');
      if (eq <= 0) {
        setError(t('camset.badControls'));
        return;
      }
      ctl[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    if (mode === 'motion' && !(Number.isInteger(th) && th >= 1 && th <= 255)) {
      setError(t('camset.badThreshold'));
      return;
    }
    send({
      rotation: Number(rotation) as 0 | 90 | 180 | 270,
      hflip,
      vflip,
      width: m ? Number(m[1]) : null,
      height: m ? Number(m[2]) : null,
      fps: fps.trim() && f > 0 ? f : null,
      ...(segment.trim() && seg >= 1 ? { segmentSeconds: seg } : {}),
      live,
      timestamp,
      timestampPosition: position,
      rtsp: stream,
      mode: recMode,
      audio: audio.trim() ? audio.trim() : null,
      ...(applied?.controls && (Object.keys(applied.controls).length || Object.keys(ctl).length)
        ? { controls: ctl }
        : {}),
      ...(mode === 'motion' ? { motionHighlight: highlight, motionThreshold: th } : {}),
    });
  };
  const reset = (): void =>
    send({
      rotation: null,
      hflip: null,
      vflip: null,
      width: null,
      height: null,
      fps: null,
      segmentSeconds: null,
      live: null,
      timestamp: null,
      timestampPosition: null,
      motionHighlight: null,
      motionThreshold: null,
      rtsp: null,
      mode: null,
      audio: null,
      controls: null,
    });

  return (
    <details class="camera-settings edit-only" data-camera={name}>
      <summary>
        {t('camset.title')}
        {applied && <small class="applied-summary"> · {summary(applied)}</small>}
      </summary>
      <form onSubmit={submit}>
        <label>
          {t('camset.rotation')}
          <select
            name="rotation"
            value={rotation}
            onChange={(e) => setRotation((e.target as HTMLSelectElement).value)}
          >
            {['0', '90', '180', '270'].map((r) => (
              <option key={r} value={r}>
                {r}°
              </option>
            ))}
          </select>
        </label>
        <Check name="hflip" checked={hflip} set={setHflip} label={t('camset.hflip')} />
        <Check name="vflip" checked={vflip} set={setVflip} label={t('camset.vflip')} />
        <label>
          {t('camset.size')}
          <input
            name="size"
            value={size}
            placeholder="1280x720"
            onInput={(e) => setSize((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          {t('camset.fps')}
          <input
            name="fps"
            inputMode="decimal"
            value={fps}
            onInput={(e) => setFps((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          {t('camset.segment')}
          <input
            name="segment"
            inputMode="decimal"
            value={segment}
            onInput={(e) => setSegment((e.target as HTMLInputElement).value)}
          />
        </label>
        <Check name="live" checked={live} set={setLive} label={t('camset.live')} />
        <Check name="timestamp" checked={timestamp} set={setTimestamp} label={t('camset.timestamp')} />
        <label>
          {t('camset.position')}
          <select
            name="timestampPosition"
            value={position}
            disabled={!timestamp}
            onChange={(e) => setPosition((e.target as HTMLSelectElement).value as OverlayPosition)}
          >
            {POSITIONS.map((p) => (
              <option key={p} value={p}>
                {t(`camset.position.${p}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('camset.mode')}
          <select
            name="mode"
            value={recMode}
            onChange={(e) => setRecMode((e.target as HTMLSelectElement).value as 'continuous' | 'motion')}
          >
            <option value="continuous">{t('camset.mode.continuous')}</option>
            <option value="motion">{t('camset.mode.motion')}</option>
          </select>
        </label>
        <label>
          {t('camset.audio')}
          <input
            name="audio"
            value={audio}
            placeholder="alsa:plughw:1,0"
            onInput={(e) => setAudio((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          {t('camset.controls')}
          <input
            name="controls"
            value={controls}
            placeholder="brightness=0.1, awb=daylight"
            onInput={(e) => setControls((e.target as HTMLInputElement).value)}
          />
        </label>
        <Check name="rtsp" checked={stream} set={setStream} label={t('camset.rtsp')} />
        {mode === 'motion' && (
          <>
            <Check
              name="motionHighlight"
              checked={highlight}
              set={setHighlight}
              label={t('camset.highlight')}
            />
            <label>
              {t('camset.threshold')}
              <input
                name="motionThreshold"
                inputMode="numeric"
                value={threshold}
                onInput={(e) => setThreshold((e.target as HTMLInputElement).value)}
              />
            </label>
          </>
        )}
        <button type="submit" disabled={busy}>
          {t('camset.apply')}
        </button>
        <button
          type="button"
          class="secondary"
          disabled={busy || !applied?.overridden.length}
          onClick={reset}
        >
          {t('camset.reset')}
        </button>
      </form>
      {note && (
        <p class="hint applied-note" role="status">
          {note}
        </p>
      )}
      {error && <p class="error">{error}</p>}
    </details>
  );
}
