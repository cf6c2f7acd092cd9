import { t } from '../i18n';
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
    return t('location.bothNeeded');
  if (Math.abs(la) > 90 || Math.abs(lo) > 180) return t('location.range');
  return { lat: la, lon: lo };
}

/** Ask the browser where this device is; explains the usual reasons it cannot say. */
function useDeviceLocation(onChange: Props['onChange'], onProblem: Props['onProblem']): () => void {
  return () => {
    if (!window.isSecureContext) return onProblem(t('location.insecure'));
    if (!navigator.geolocation) return onProblem(t('location.unsupported'));
    onProblem(t('location.asking'));
    navigator.geolocation.getCurrentPosition(
      (p) => {
        onChange(p.coords.latitude.toFixed(6), p.coords.longitude.toFixed(6));
        onProblem('');
      },
      (err) =>
        onProblem(
          err.code === err.PERMISSION_DENIED
            ? t('location.denied')
            : t('location.failed', { message: err.message }),
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
        {t('location.lat')}
        <input
          name={`${prefix}lat`}
          inputMode="decimal"
          value={lat}
          onInput={(e) => onChange((e.target as HTMLInputElement).value, lon)}
        />
      </label>
      <label>
        {t('location.lon')}
        <input
          name={`${prefix}lon`}
          inputMode="decimal"
          value={lon}
          onInput={(e) => onChange(lat, (e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="button" class="secondary" name={`${prefix}here`} onClick={here}>
        {t('location.here')}
      </button>
    </div>
  );
}
