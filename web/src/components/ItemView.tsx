import type { Ref } from 'preact';
import { useRef } from 'preact/hooks';
import { useMediaGestures } from '../gestures';
import { formatDateTime, t } from '../i18n';
import type { AttributePatch, Item } from '../types';
import { navigate } from '../router';
import { AttributeForm, type Pending } from './AttributeForm';
import { Media } from './Media';
import { UploadState } from './UploadState';
import { Similar } from './Similar';

interface Props {
  item: Item;
  position: string;
  canEdit: boolean;
  /** Open "Fix camera clock…" for every item of this item's card (absent: not offered). */
  onFixClock?: (() => void) | undefined;
  onClose(): void;
  onStep(delta: number): void;
  /** Save a patch of this item; errors are shown (as a toast) by the caller. */
  onSave(item: Item, patch: AttributePatch): Promise<boolean>;
  /** The form's unsaved Event/Tags/Notes/location, read when leaving the item. */
  pending: Ref<Pending | null>;
}

const fmtSize = (n: number): string =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(1)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : `${Math.ceil(n / 1e3)} kB`;

/**
 * The one position of an item and where it came from: a position set on the item (by hand or
 * from a GPX track) is what its sidecar carries, so it wins over the camera's own.
 */
export function positionOf(item: Item): { lat: number; lon: number; from: string } | null {
  const loc = item.attributes.location;
  if (loc)
    return {
      lat: loc.lat,
      lon: loc.lon,
      from: t(
        loc.source === 'gpx' ? 'edit.pos.gpx' : loc.source === 'hand' ? 'edit.pos.hand' : 'edit.pos.set',
      ),
    };
  if (item.gps) return { lat: item.gps.lat, lon: item.gps.lon, from: t('edit.pos.camera') };
  return null;
}

/** One item, large: media, facts read from the file, and the attributes to edit. */
export function ItemView({ item, position, canEdit, onFixClock, onClose, onStep, onSave, pending }: Props) {
  const pos = positionOf(item);
  const mediaBox = useRef<HTMLDivElement>(null);
  // A swipe to the left brings the next item, as in photo apps.
  useMediaGestures(mediaBox, item.id, (dir) => onStep(dir === -1 ? 1 : -1));
  const mapHref = pos
    ? `/map?${new URLSearchParams({ lat: String(pos.lat), lon: String(pos.lon), zoom: '16', focus: item.id })}`
    : '';
  const facts: [string, string | null][] = [
    // Camera-local time (no zone): parsed as local, shown in the tablet's language.
    [
      t('item.captured'),
      item.capturedAt
        ? formatDateTime(Date.parse(item.capturedAt))
        : t('item.fileTime', { time: formatDateTime(Date.parse(item.sortTime)) }),
    ],
    [t('item.camera'), item.camera],
    [t('item.monitor'), item.monitor],
    [t('item.card'), item.cardId],
    [t('item.size'), `${fmtSize(item.size)}${item.width ? ` · ${item.width}×${item.height}` : ''}`],
    [t('item.duration'), item.durationS !== null ? `${item.durationS.toFixed(1)} s` : null],
    [t('item.file'), item.path],
  ];
  return (
    <div class="item-view" role="dialog" aria-modal="true" aria-label={item.originalName}>
      <header class="item-bar">
        <button type="button" class="secondary" onClick={() => onStep(-1)} aria-label={t('item.previous')}>
          ←
        </button>
        <button type="button" class="secondary" onClick={() => onStep(1)} aria-label={t('item.next')}>
          →
        </button>
        <span class="item-title">
          {item.originalName} <small>{position}</small>
        </span>
        <a
          class="button secondary"
          href={`${item.links.original}?download=true`}
          title={t('media.downloadHint')}
        >
          {t('media.download')}
        </a>
        <button type="button" class="secondary" onClick={onClose} aria-label={t('media.close')}>
          ✕
        </button>
      </header>
      <div class="item-body">
        <div class="item-media" ref={mediaBox}>
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
            {pos && (
              <div class="position">
                <dt>{pos.from}</dt>
                <dd>
                  {pos.lat.toFixed(6)}, {pos.lon.toFixed(6)}{' '}
                  {/* The station's own map (offline tiles), centred on this item: any position. */}
                  <a
                    class="map-link"
                    href={mapHref}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(mapHref);
                    }}
                  >
                    {t('edit.map')}
                  </a>
                </dd>
              </div>
            )}
            <UploadState id={item.id} />
          </dl>
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
          <p class="reject-row">
            {item.attributes.rejected && <span class="badge rejected-label">{t('reject.rejected')}</span>}
            {canEdit && (
              <button
                type="button"
                class="secondary reject-toggle"
                onClick={() => void onSave(item, { rejected: !item.attributes.rejected })}
              >
                {item.attributes.rejected ? t('reject.unreject') : t('reject.reject')}
              </button>
            )}
            {canEdit && item.type === 'video' && (
              <button
                type="button"
                class="secondary item-edit-video"
                onClick={() => navigate(`/edit?item=${item.id}`)}
              >
                {t('editor.open')}
              </button>
            )}
            {onFixClock && (
              <button type="button" class="secondary item-clock" onClick={onFixClock}>
                {t('clockfix.cardButton')}
              </button>
            )}
          </p>
          <AttributeForm
            key={item.id}
            attributes={item.attributes}
            canEdit={canEdit}
            onSave={(patch) => onSave(item, patch)}
            pending={pending}
          />
          <Similar item={item} />
          <p class="hint">{t('item.keys')}</p>
        </aside>
      </div>
    </div>
  );
}
