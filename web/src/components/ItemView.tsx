import { useState } from 'preact/hooks';
import { patchItem } from '../api';
import { formatDateTime } from '../i18n';
import type { AttributePatch, Item } from '../types';
import { AttributeForm } from './AttributeForm';
import { Media } from './Media';
import { UploadState } from './UploadState';
import { Similar } from './Similar';

interface Props {
  item: Item;
  position: string;
  onClose(): void;
  onStep(delta: number): void;
  onUpdated(item: Item): void;
}

const fmtSize = (n: number): string =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(1)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : `${Math.ceil(n / 1e3)} kB`;

/** One item, large: media, facts read from the file, and the attributes to edit. */
export function ItemView({ item, position, onClose, onStep, onUpdated }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const save = (patch: AttributePatch): void => {
    setBusy(true);
    setError('');
    patchItem(item.id, patch)
      .then(onUpdated)
      .catch((e: Error) => setError(e.message))
      .finally(() => setBusy(false));
  };
  const facts: [string, string | null][] = [
    // Camera-local time (no zone): parsed as local, shown in the tablet's language.
    [
      'Captured',
      item.capturedAt
        ? formatDateTime(Date.parse(item.capturedAt))
        : `${formatDateTime(Date.parse(item.sortTime))} (file time)`,
    ],
    ['Camera', item.camera],
    ['Monitor', item.monitor],
    ['Card', item.cardId],
    ['GPS', item.gps ? `${item.gps.lat.toFixed(6)}, ${item.gps.lon.toFixed(6)}` : null],
    ['Size', `${fmtSize(item.size)}${item.width ? ` · ${item.width}×${item.height}` : ''}`],
    ['Duration', item.durationS !== null ? `${item.durationS.toFixed(1)} s` : null],
    ['File', item.path],
  ];
  return (
    <div class="item-view" role="dialog" aria-modal="true" aria-label={item.originalName}>
      <header class="item-bar">
        <button type="button" class="secondary" onClick={() => onStep(-1)} aria-label="Previous">
          ←
        </button>
        <button type="button" class="secondary" onClick={() => onStep(1)} aria-label="Next">
          →
        </button>
        <span class="item-title">
          {item.originalName} <small>{position}</small>
        </span>
        <a class="button secondary" href={`${item.links.original}?download=true`}>
          Download
        </a>
        <button type="button" class="secondary" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </header>
      <div class="item-body">
        <div class="item-media">
          <Media item={item} />
        </div>
        <aside class="item-side">
          <dl class="facts">
            {facts
              .filter(([, v]) => v)
              .map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
            <UploadState id={item.id} />
          </dl>
          {item.gps && (
            <a
              class="map-link"
              href={`https://www.openstreetmap.org/?mlat=${item.gps.lat}&mlon=${item.gps.lon}#map=15/${item.gps.lat}/${item.gps.lon}`}
              target="_blank"
              rel="noreferrer"
            >
              Show on a map (online)
            </a>
          )}
          {item.warnings.length > 0 && (
            <ul class="warnings">
              {item.warnings.map((w) => (
                <li key={w.code}>
                  {w.message}
                  {w.hint && <span class="hint"> {w.hint}</span>}
                </li>
              ))}
            </ul>
          )}
          <AttributeForm attributes={item.attributes} busy={busy} onSave={save} />
          <Similar item={item} />
          {error && <p class="error">{error}</p>}
          <p class="hint">Keys: ← → previous/next, 0–5 rating, Esc close.</p>
        </aside>
      </div>
    </div>
  );
}
