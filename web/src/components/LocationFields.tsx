import type { LatLon } from '../types';

interface Props {
  lat: string;
  lon: string;
  onChange(lat: string, lon: string): void;
  onProblem(message: string): void;
  /** Field name prefix, so the gallery's bulk bar and the item view have distinct names. */
  prefix?: string;
}

/** Parse the two fields: a location, `null` when both are empty, or an error message. */
export function parseLocation(lat: string, lon: string): LatLon | null | string {
  if (lat.trim() === '' && lon.trim() === '') return null;
  const la = Number(lat);
  const lo = Number(lon);
  if (lat.trim() === '' || lon.trim() === '' || !Number.isFinite(la) || !Number.isFinite(lo))
    return 'Enter both latitude and longitude as decimal degrees (e.g. -1.2921, 36.8219).';
  if (Math.abs(la) > 90 || Math.abs(lo) > 180) return 'Latitude must be -90..90 and longitude -180..180.';
  return { lat: la, lon: lo };
}

/** Ask the browser where this device is; explains the usual reasons it cannot say. */
function useDeviceLocation(onChange: Props['onChange'], onProblem: Props['onProblem']): () => void {
  return () => {
    if (!window.isSecureContext)
      return onProblem(
        "Browsers only share this device's location with https:// pages or localhost; enter the coordinates instead.",
      );
    if (!navigator.geolocation) return onProblem('This device cannot tell its location.');
    onProblem('Asking this device for its location…');
    navigator.geolocation.getCurrentPosition(
      (p) => {
        onChange(p.coords.latitude.toFixed(6), p.coords.longitude.toFixed(6));
        onProblem('');
      },
      (err) =>
        onProblem(
          err.code === err.PERMISSION_DENIED
            ? 'Location permission was refused: allow it in the browser settings, or type the coordinates.'
            : `No location: ${err.message}`,
        ),
      { enableHighAccuracy: true, timeout: 15000 },
    );
  };
}

/** Latitude, longitude and "use this device's location": the item view and the bulk bar share it. */
export function LocationFields({ lat, lon, onChange, onProblem, prefix = '' }: Props) {
  const here = useDeviceLocation(onChange, onProblem);
  return (
    <div class="field loc">
      <label>
        Latitude
        <input
          name={`${prefix}lat`}
          inputMode="decimal"
          value={lat}
          onInput={(e) => onChange((e.target as HTMLInputElement).value, lon)}
        />
      </label>
      <label>
        Longitude
        <input
          name={`${prefix}lon`}
          inputMode="decimal"
          value={lon}
          onInput={(e) => onChange(lat, (e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="button" class="secondary" name={`${prefix}here`} onClick={here}>
        Use this device's location
      </button>
    </div>
  );
}
