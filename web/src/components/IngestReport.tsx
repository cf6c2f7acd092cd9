import { formatNumber, t } from '../i18n';
import type { IngestReport as Report } from '../types';

/** `Ana/2024-05-01` → the gallery showing what is filed in that folder. */
const galleryHref = (folder: string): string => `/?${new URLSearchParams({ folder })}`;

/**
 * The last ingest, file by file where it matters (issue 13 §1.13): what was copied, where the new
 * items were filed (each folder opens in the gallery) and every file that gave a warning.
 */
export function IngestReport({ report }: { report: Report }) {
  const card = report.card.label ? `${report.card.label} (${report.card.id})` : report.card.id;
  return (
    <div class="ingest-report">
      <p>
        {t('status.report.card', { card, monitor: report.monitor })}{' '}
        {t('status.report.counts', {
          copied: formatNumber(report.copied),
          skipped: formatNumber(report.skipped),
          duplicates: formatNumber(report.duplicates),
        })}
        {report.tombstoned > 0 && (
          <span class="deleted-earlier">
            {' '}
            {t('status.report.tombstoned', { n: formatNumber(report.tombstoned) })}
          </span>
        )}
        {report.notCopied > 0 && (
          <strong class="error">
            {' '}
            {t('status.report.notCopied', { n: formatNumber(report.notCopied) })}
          </strong>
        )}
      </p>
      {(report.folders?.length ?? 0) > 0 && (
        <div class="filed">
          <span>{t('status.report.filed')}</span>
          <ul>
            {report.folders!.map((f) => (
              <li key={f.folder}>
                <a href={galleryHref(f.folder)}>library/{f.folder}</a>{' '}
                <small>({formatNumber(f.items)})</small>
              </li>
            ))}
          </ul>
        </div>
      )}
      {report.warnings.length > 0 && (
        <details class="file-warnings" open={report.warnings.length <= 10}>
          <summary>{t('status.report.warnings', { n: formatNumber(report.warnings.length) })}</summary>
          <ul>
            {report.warnings.map((w, i) => (
              <li key={`${w.path}-${i}`} data-code={w.code}>
                <code>{w.path}</code>: {w.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
