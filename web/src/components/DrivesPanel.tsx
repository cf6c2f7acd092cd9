import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';

interface DriveRef {
  id: string;
  label: string;
  path: string;
}
interface Drives {
  a: DriveRef | null;
  b: DriveRef | null;
  blank: { mountPoint: string; freeBytes: number | null; totalBytes: number | null }[];
}

const gb = (n: number | null): string => (n === null ? '?' : `${(n / 1e9).toFixed(1)} GB`);

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
      .catch((err: Error & { hint?: string }) => setState(`${err.message} ${err.hint ?? ''}`));
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

/** The station's drives; an empty drive plugged in can be made a library drive here. */
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
  return (
    <div class="drives">
      <p>
        Drive A: {drives.a ? drives.a.label : 'none'} · Drive B: {drives.b ? drives.b.label : 'none'}
      </p>
      {drives.blank.map((v) => (
        <div class="blank-volume" key={v.mountPoint} data-mount={v.mountPoint}>
          <p>
            Empty drive at {v.mountPoint} ({gb(v.totalBytes)}): it becomes{' '}
            {drives.a ? 'the second (mirror) drive' : 'the library drive'}.
          </p>
          <InitForm mountPoint={v.mountPoint} onDone={() => setTick((t) => t + 1)} />
        </div>
      ))}
    </div>
  );
}
