import { hideToast, useToast } from '../toast';
import { t as msg } from '../i18n';

/** The toast, if any: errors as alerts, the rest as status, with its action (e.g. Undo). */
export function ToastView() {
  const t = useToast();
  if (!t) return null;
  return (
    <div class={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
      <span class="toast-text">{t.text}</span>
      {t.action && (
        <button
          type="button"
          class="toast-action"
          onClick={() => {
            const run = t.action!.run;
            hideToast();
            run();
          }}
        >
          {t.action.label}
        </button>
      )}
      <button type="button" class="secondary toast-close" aria-label={msg('toast.close')} onClick={hideToast}>
        ✕
      </button>
    </div>
  );
}
