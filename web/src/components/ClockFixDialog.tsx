import { useState } from 'preact/hooks';
import { shiftTimes, type ShiftResult } from '../api';
import { formatDateTime, t } from '../i18n';
import type { Item } from '../types';

/** What the dialog fixes: a selection, or every item from one card. */
export type ClockTarget = { ids: string[] } | { card: string; cardLabel: string };

interface Props {
  target: ClockTarget;
  /** The photo whose true time may be given instead of an offset (its card's or the selection's). */
  anchor: Pick<Item, 'id' | 'originalName' | 'capturedAt'> | undefined;
  onClose(): void;
  /** Applied: how much the times moved (undo is the opposite). */
  onDone(result: ShiftResult): void;
}

const show = (iso: string): string => formatDateTime(Date.parse(iso.slice(0, 19)));

/**
 * "Fix camera clock…" (digiKam's Adjust Time) for a selection or a whole card: an offset, or the
 * true time of one photo (named, with its camera time); a preview from a dry run; then apply.
 * Undo is offered by the caller's toast.
 */
export function ClockFixDialog({ target, anchor, onClose, onDone }: Props) {
  const [by, setBy] = useState('');
  const [truth, setTruth] = useState('');
  const [plan, setPlan] = useState<ShiftResult | null>(null);
  const [problem, setProblem] = useState('');
  const [busy, setBusy] = useState(false);

  const scope = 'card' in target ? { card: target.card } : { ids: target.ids };
  const request = (dryRun: boolean) => {
    if (by.trim()) return { ...scope, by: by.trim(), dryRun };
    if (truth && anchor) return { ...scope, anchor: { id: anchor.id, trueTime: truth }, dryRun };
    return undefined;
  };
  const title =
    'card' in target
      ? t('clockfix.titleCard', { card: target.cardLabel })
      : t('clockfix.title', { n: String(target.ids.length) });
  const run = async (dryRun: boolean): Promise<void> => {
    const body = request(dryRun);
    if (!body) {
      setProblem(t('clockfix.needOffset'));
      return;
    }
    setBusy(true);
    setProblem('');
    try {
      const r = await shiftTimes(body);
      if (dryRun) setPlan(r);
      else onDone(r);
    } catch (e) {
      setProblem(t('clockfix.failed', { message: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="clock-fix" role="dialog" aria-modal="true" aria-label={title}>
      <h2>{title}</h2>
      <label>
        {t('clockfix.by')}
        <input
          name="clockfix-by"
          placeholder={t('clockfix.byHint')}
          value={by}
          onInput={(e) => {
            setBy((e.target as HTMLInputElement).value);
            setPlan(null);
          }}
        />
      </label>
      {anchor?.capturedAt && (
        <label>
          {t('clockfix.orItem', { name: anchor.originalName, time: show(anchor.capturedAt) })}
          <input
            type="datetime-local"
            step={1}
            name="clockfix-truth"
            value={truth}
            onInput={(e) => {
              setTruth((e.target as HTMLInputElement).value);
              setPlan(null);
            }}
          />
        </label>
      )}
      {plan && (
        <p class="clock-fix-plan" role="status">
          {plan.example
            ? t('clockfix.plan', {
                n: String(plan.items),
                before: show(plan.example.before),
                after: show(plan.example.after),
                renamed: String(plan.moving),
              })
            : ''}{' '}
          {plan.undated ? t('clockfix.undated', { n: String(plan.undated) }) : ''}
        </p>
      )}
      {problem && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="clock-fix-actions">
        <button type="button" class="secondary" disabled={busy} onClick={() => void run(true)}>
          {t('clockfix.preview')}
        </button>
        <button type="button" disabled={busy || !plan} onClick={() => void run(false)}>
          {t('clockfix.apply')}
        </button>
        <button type="button" class="secondary" onClick={onClose}>
          {t('clockfix.cancel')}
        </button>
      </div>
    </div>
  );
}
