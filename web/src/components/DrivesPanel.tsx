import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';

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

const gb = (n: number | null): string => (n === null ? '?' : `${(n / 1e9).toFixed(1)} GB`);
const errText = (err: Error & { hint?: string }): string => `${err.message} ${err.hint ?? ''}`.trim();

function InitForm({ mountPoint, onDone }: { mountPoint: string; onDone(): void }) {
  const [label, setLabel] = useState('');
  const [state, setState] = useState('');
  const submit = (e: Event): void => {
    e.preventDefault();
    setState('initialising…');
    api<DriveRef>('POST', '/api/drives/init', { mountPoint, label: label.trim() })
      .then((d) => {
        setState(`drive ${d.label} ready`);
        onDone();
      })
      .catch((err: Error & { hint?: string }) => setState(errText(err)));
  };
  return (
    <form class="edit-only drive-init" onSubmit={submit}>
      <label>
        Label
        <input
          name="drive-label"
          required
          maxLength={40}
          placeholder="e.g. Office B"
          value={label}
          onInput={(e) => setLabel((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit">Make it a library drive</button>
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
    if (
      !window.confirm(`Format ${what} as ${fs === 'exfat' ? 'exFAT' : 'ext4'}? Everything on it is erased.`)
    )
      return;
    setState('formatting…');
    api<DriveRef>('POST', '/api/drives/format', {
      device: device.name,
      fs,
      label: label.trim(),
      confirm: true,
    })
      .then((d) => {
        setState(`formatted: drive ${d.label} ready`);
        onDone();
      })
      .catch((err: Error & { hint?: string }) => setState(errText(err)));
  };
  return (
    <form class="edit-only drive-format" onSubmit={submit}>
      <p class="warning">
        Formatting <strong>erases</strong> {device.dev}. The station only formats a drive with no files on it.
      </p>
      <label>
        Label
        <input
          name="format-label"
          required
          maxLength={40}
          placeholder="e.g. Office B"
          value={label}
          onInput={(e) => setLabel((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        File system
        <select
          name="format-fs"
          value={fs}
          onChange={(e) => setFs((e.target as HTMLSelectElement).value as 'exfat' | 'ext4')}
        >
          <option value="exfat">exFAT (Windows and Mac can read it)</option>
          <option value="ext4">ext4 (Linux only, most robust)</option>
        </select>
      </label>
      <button type="submit">Format and make it a library drive</button>
      {state && <span role="status">{state}</span>}
    </form>
  );
}

function EjectButton({ target, label, onDone }: { target: Target; label: string; onDone(): void }) {
  const [state, setState] = useState('');
  const eject = (): void => {
    if (
      target === 'A' &&
      !window.confirm('Eject drive A? The web app stops until a library drive is plugged in again.')
    )
      return;
    setState('flushing and unmounting…');
    api<{ message: string }>('POST', '/api/drives/eject', { target })
      .then((r) => {
        setState(r.message);
        onDone();
      })
      .catch((err: Error & { hint?: string }) => setState(errText(err)));
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
    const t = setInterval(load, 5000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [tick]);
  if (!drives) return null;
  const refresh = (): void => setTick((t) => t + 1);
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
        Drive A: {drives.a ? drives.a.label : 'none'}{' '}
        {drives.managed && drives.a && managedPath(drives.a.path) && (
          <EjectButton target="A" label="Eject drive A" onDone={refresh} />
        )}
        {' · '}Drive B: {drives.b ? drives.b.label : 'none'}{' '}
        {drives.managed && drives.b && managedPath(drives.b.path) && (
          <EjectButton target="B" label="Eject drive B" onDone={refresh} />
        )}
      </p>
      {drives.managed && mountedCard && (
        <p>
          Card in the reader: <EjectButton target="card" label="Eject the card" onDone={refresh} />
        </p>
      )}
      {drives.blank.map((v) => {
        const dev = blankDevice(v.mountPoint);
        return (
          <div class="blank-volume" key={v.mountPoint} data-mount={v.mountPoint}>
            <p>
              Empty drive at {v.mountPoint} ({gb(v.totalBytes)}): it becomes{' '}
              {drives.a ? 'the second (mirror) drive' : 'the library drive'}.
            </p>
            <InitForm mountPoint={v.mountPoint} onDone={refresh} />
            {dev?.format.ok && (
              <details>
                <summary>Or format it first</summary>
                <FormatForm device={dev} onDone={refresh} />
              </details>
            )}
          </div>
        );
      })}
      {unformatted.map((d) => (
        <div class="unformatted-device" key={d.dev} data-device={d.name}>
          <p>
            {d.dev}
            {d.description ? ` (${d.description})` : ''}, {gb(d.sizeBytes)}: no file system the station can
            use.
          </p>
          <FormatForm device={d} onDone={refresh} />
        </div>
      ))}
    </div>
  );
}
