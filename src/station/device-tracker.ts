import type { DevicesState, SlotDevice } from '../indicators/station-facts.js';
import { subscribe, type DeviceSlot, type StationEvents } from './events.js';

export type { DevicesState, SlotDevice };

export const NO_DEVICES: DevicesState = Object.freeze({ card: null, A: null, B: null, waiting: [] });

/** Follows the station's device events; `stop()` unsubscribes. */
export function trackDevices(events: StationEvents): { current(): DevicesState; stop(): void } {
  let s: DevicesState = { ...NO_DEVICES };
  /** Mount points the station mounted → device and label. */
  const managed = new Map<string, { device: string; label?: string | undefined }>();
  const set = (slot: DeviceSlot, v: SlotDevice | null): void => {
    s = { ...s, [slot]: v };
  };
  const patch = (
    slot: DeviceSlot,
    p: Partial<SlotDevice> & Pick<SlotDevice, 'state' | 'mountPoint' | 'device'>,
  ) => {
    const prev = s[slot];
    const keep = prev && prev.mountPoint === p.mountPoint ? { label: prev.label } : {};
    set(slot, { ...keep, ...p });
  };
  const attached = (slot: 'A' | 'B', path: string, label: string): void => {
    const m = managed.get(path);
    if (!m) {
      set(slot, null);
      return;
    }
    // Re-attached after a failed eject: the "still in use" warning stays until the next eject.
    const prev = s[slot];
    if (prev?.state === 'busy' && prev.mountPoint === path) return;
    set(slot, { state: 'mounted', mountPoint: path, device: m.device, label });
  };
  const stop = subscribe(events, {
    'device-mounted': ({ role, mountPoint, device, label }) => {
      managed.set(mountPoint, { device, label });
      if (role === 'card') set('card', { state: 'mounted', mountPoint, device, label });
    },
    'library-attached': ({ path, label }) => attached('A', path, label),
    'partner-attached': ({ path, label }) => attached('B', path, label),
    'device-unmounting': ({ slot, mountPoint, device, label }) =>
      patch(slot, { state: 'unmounting', mountPoint, device, ...(label ? { label } : {}) }),
    'device-ejected': ({ slot, mountPoint, device, label, copied }) => {
      managed.delete(mountPoint);
      patch(slot, { state: 'ejected', mountPoint, device, ...(label ? { label } : {}), copied });
    },
    'device-eject-failed': ({ slot, mountPoint, device, label, detail }) =>
      patch(slot, { state: 'busy', mountPoint, device, ...(label ? { label } : {}), detail }),
    'device-pulled': ({ slot, mountPoint, device, label, during }) => {
      managed.delete(mountPoint);
      if (slot !== 'other')
        patch(slot, { state: 'pulled', mountPoint, device, ...(label ? { label } : {}), during });
      s = { ...s, waiting: s.waiting.filter((w) => w !== mountPoint) };
    },
    // An ejected device taken out: its slot is empty (a pulled one keeps saying so until replaced).
    'device-gone': ({ device }) => {
      for (const slot of ['card', 'A', 'B'] as const) {
        const v = s[slot];
        if (v && v.device === device && v.state === 'ejected') set(slot, null);
      }
    },
    'card-waiting': ({ mountPoint }) => {
      if (!s.waiting.includes(mountPoint)) s = { ...s, waiting: [...s.waiting, mountPoint] };
    },
    'ingest-progress': ({ mountPoint }) => {
      if (s.waiting.includes(mountPoint)) s = { ...s, waiting: s.waiting.filter((w) => w !== mountPoint) };
    },
    'card-removed': ({ mountPoint }) => {
      if (s.waiting.includes(mountPoint)) s = { ...s, waiting: s.waiting.filter((w) => w !== mountPoint) };
    },
  });
  return { current: () => s, stop };
}
