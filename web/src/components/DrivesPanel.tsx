import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { errorText } from '../error-text';
import { formatBytes, t } from '../i18n';

interface DriveRef {
  id: string;
  label: string;
  path: string;
}
interface DeviceVolume {
  dev: string;
  fsType?: string;
  label?: string;
  mountPoint?: string;
  role?: 'library' | 'card' | 'blank' | 'other';
  state?: 'mounted' | 'releasing' | 'released' | 'gone';
  problem?: string;
}
interface Device {
  name: string;
  dev: string;
  description?: string;
  sizeBytes: number;
  usb: boolean;
  volumes: DeviceVolume[];
  format: { ok: true } | { ok: false; reason: string };
}
interface Drives {
  a: DriveRef | null;
  b: DriveRef | null;
  blank: { mountPoint: string; freeBytes: number | null; totalBytes: number | null }[];
  /** The station mounts its own devices: eject and format work. */
  managed?: boolean;
  devices?: Device[];
  emptyReaders?: string[];
}
type Target = 'A' | 'B' | 'card';

const gb = (n: number | null): string => formatBytes(n);
const errText = (err: unknown): string => errorText(err);

function InitForm({ mountPoint, onDone }: { mountPoint: string; onDone(): void }) {
  const [label, setLabel] = useState('');
  const [state, setState] = useState('');
  const submit = (e: Event): void => {
    e.preventDefault();
    setState(t('drives.initialising'));
    api<DriveRef>('POST', '/api/drives/init', { mountPoint, label: label.trim() })
      .then((d) => {
        setState(t('drives.ready', { label: d.label }));
        onDone();
      })
      .catch((err: unknown) => setState(errText(err)));
  };
  return (
    <form class="edit-only drive-init" onSubmit={submit}>
      <label>
        {t('drives.label')}
        <input
          name="drive-label"
          required
          maxLength={40}
          placeholder={t('drives.labelPlaceholder')}
          value={label}
          onInput={(e) => setLabel((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit">{t('drives.init')}</button>
      {state && <span role="status">{state}</span>}
    </form>
  );
}

/** Format an empty device: the station refuses one with any file on it; the user confirms twice. */
function FormatForm({ device, onDone }: { device: Device; onDone(): void }) {
  const [label, setLabel] = useState('');
  const [fs, setFs] = useState<'exfat' | 'ext4'>('exfat');
  const [state, setState] = useState('');
  const submit = (e: Event): void => {
    e.preventDefault();
    const what = `${device.dev}${device.description ? ` (${device.description})` : ''}, ${gb(device.sizeBytes)}`;
    if (!window.confirm(t('drives.confirmFormat', { what, fs: fs === 'exfat' ? 'exFAT' : 'ext4' }))) return;
    setState(t('drives.formatting'));
    api<DriveRef>('POST', '/api/drives/format', {
      device: device.name,
      fs,
      label: label.trim(),
      confirm: true,
    })
      .then((d) => {
        setState(t('drives.formatted', { label: d.label }));
        onDone();
      })
      .catch((err: unknown) => setState(errText(err)));
  };
  return (
    <form class="edit-only drive-format" onSubmit={submit}>
      <p class="warning">{t('drives.formatWarning', { dev: device.dev })}</p>
      <label>
        {t('drives.label')}
        <input
          name="format-label"
          required
          maxLength={40}
          placeholder={t('drives.labelPlaceholder')}
          value={label}
          onInput={(e) => setLabel((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        {t('drives.fs')}
        <select
          name="format-fs"
          value={fs}
          onChange={(e) => setFs((e.target as HTMLSelectElement).value as 'exfat' | 'ext4')}
        >
          <option value="exfat">{t('drives.fs.exfat')}</option>
          <option value="ext4">{t('drives.fs.ext4')}</option>
        </select>
      </label>
      <button type="submit">{t('drives.format')}</button>
      {state && <span role="status">{state}</span>}
    </form>
  );
}

function EjectButton({ target, label, onDone }: { target: Target; label: string; onDone(): void }) {
  const [state, setState] = useState('');
  const eject = (): void => {
    if (target === 'A' && !window.confirm(t('drives.confirmEjectA'))) return;
    setState(t('drives.ejecting'));
    api<{ message: string }>('POST', '/api/drives/eject', { target })
      .then((r) => {
        setState(r.message);
        onDone();
      })
      .catch((err: unknown) => setState(errText(err)));
  };
  return (
    <span class="eject" data-target={target}>
      <button type="button" class="edit-only" onClick={eject}>
        {label}
      </button>
      {state && <span role="status">{state}</span>}
    </span>
  );
}

/**
 * The station's drives. An empty drive plugged in can be made a library drive here; when the
 * station mounts its own devices, drives and the card can be ejected and an empty device formatted.
 */
export function DrivesPanel() {
  const [drives, setDrives] = useState<Drives | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let alive = true;
    const load = (): void => {
      api<Drives>('GET', '/api/drives')
        .then((d) => alive && setDrives(d))
        .catch(() => alive && setDrives(null));
    };
    load();
    const timer = setInterval(load, 5000);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [tick]);
  if (!drives) return null;
  const refresh = (): void => setTick((n) => n + 1);
  const devices = drives.devices ?? [];
  const mountedCard = devices.some((d) => d.volumes.some((v) => v.role === 'card' && v.state === 'mounted'));
  const managedPath = (p: string | undefined): boolean =>
    !!p && devices.some((d) => d.volumes.some((v) => v.mountPoint === p && v.state === 'mounted'));
  const blankDevice = (mountPoint: string): Device | undefined =>
    devices.find((d) => d.volumes.some((v) => v.mountPoint === mountPoint));
  // Devices with no filesystem at all (or none the station can mount) that may be formatted.
  const unformatted = devices.filter(
    (d) => d.format.ok && !d.volumes.some((v) => v.mountPoint && v.state === 'mounted'),
  );
  return (
    <div class="drives">
      <p>
        {t('drives.a', { label: drives.a ? drives.a.label : t('drives.none') })}{' '}
        {drives.managed && drives.a && managedPath(drives.a.path) && (
          <EjectButton target="A" label={t('drives.ejectA')} onDone={refresh} />
        )}
        {' · '}
        {t('drives.b', { label: drives.b ? drives.b.label : t('drives.none') })}{' '}
        {drives.managed && drives.b && managedPath(drives.b.path) && (
          <EjectButton target="B" label={t('drives.ejectB')} onDone={refresh} />
        )}
      </p>
      {drives.managed && mountedCard && (
        <p>
          {t('drives.cardInReader')}{' '}
          <EjectButton target="card" label={t('drives.ejectCard')} onDone={refresh} />
        </p>
      )}
      {drives.blank.map((v) => {
        const dev = blankDevice(v.mountPoint);
        return (
          <div class="blank-volume" key={v.mountPoint} data-mount={v.mountPoint}>
            <p>
              {t(drives.a ? 'drives.emptyMirror' : 'drives.empty', {
                path: v.mountPoint,
                size: gb(v.totalBytes),
              })}
            </p>
            <InitForm mountPoint={v.mountPoint} onDone={refresh} />
            {dev?.format.ok && (
              <details>
                <summary>{t('drives.formatFirst')}</summary>
                <FormatForm device={dev} onDone={refresh} />
              </details>
            )}
          </div>
        );
      })}
      {unformatted.map((d) => (
        <div class="unformatted-device" key={d.dev} data-device={d.name}>
          <p>
            {t('drives.unformatted', {
              what: `${d.dev}${d.description ? ` (${d.description})` : ''}, ${gb(d.sizeBytes)}`,
            })}
          </p>
          <FormatForm device={d} onDone={refresh} />
        </div>
      ))}
    </div>
  );
}
