import { t } from '../i18n';
interface Props {
  value: number | null;
  onChange(rating: number | null): void;
  disabled?: boolean;
}

/** Rating 0..5 as big buttons (touch); choosing the current value again clears it. */
export function Stars({ value, onChange, disabled }: Props) {
  return (
    <span class="stars" role="radiogroup" aria-label={t('stars.label')}>
      {[1, 2, 3, 4, 5].map((n) => (
        <button
          key={n}
          type="button"
          role="radio"
          aria-checked={value === n}
          aria-label={`${n} star${n > 1 ? 's' : ''}`}
          class={value !== null && n <= value ? 'on' : ''}
          disabled={disabled}
          onClick={() => onChange(value === n ? 0 : n)}
        >
          ★
        </button>
      ))}
    </span>
  );
}
