import { useEffect, useState } from 'preact/hooks';
import { assignCard, listCards } from '../api';
import { errorText } from '../error-text';
import { formatDate, t, tn } from '../i18n';
import type { Card } from '../types';

function CardRow({ card, onSaved }: { card: Card; onSaved(c: Card): void }) {
  const [monitor, setMonitor] = useState(card.monitor ?? '');
  const [state, setState] = useState('');
  const save = (e: Event): void => {
    e.preventDefault();
    setState(t('cards.saving'));
    assignCard(card.id, monitor.trim())
      .then((c) => {
        onSaved(c);
        setState(
          c.failed.length
            ? t('cards.savedFailed', {
                moved: String(c.moved),
                failed: String(c.failed.length),
                message: c.failed[0]!.message,
              })
            : tn('cards.saved', c.moved, { monitor: c.monitor ?? '' }),
        );
      })
      .catch((err: unknown) => setState(errorText(err)));
  };
  return (
    <li class="card-row">
      <div>
        <strong>{card.label ?? card.id}</strong> <small>{card.id}</small>
        <br />
        {tn('cards.items', card.items)} ·{' '}
        {t('cards.lastSeen', { date: formatDate(Date.parse(card.lastSeen)) })}
      </div>
      <form class="edit-only" onSubmit={save}>
        <label>
          {t('cards.monitor')}
          <input
            name="monitor"
            value={monitor}
            placeholder="_unassigned"
            required
            onInput={(e) => setMonitor((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">{t('cards.assign')}</button>
        {state && <span role="status">{state}</span>}
      </form>
    </li>
  );
}

/** Cards the library has seen, each with its monitor (person or camera). */
export function CardsPage() {
  const [cards, setCards] = useState<Card[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    listCards()
      .then((r) => setCards(r.cards))
      .catch((e: unknown) => setError(errorText(e)));
  }, []);
  return (
    <section class="page">
      <h1>{t('cards.title')}</h1>
      <p class="hint">{t('cards.hint')}</p>
      {error && <p class="error">{error}</p>}
      {cards && cards.length === 0 && <p>{t('cards.none')}</p>}
      <ul class="cards">
        {cards?.map((c) => (
          <CardRow key={c.id} card={c} onSaved={(n) => setCards(cards.map((x) => (x.id === n.id ? n : x)))} />
        ))}
      </ul>
    </section>
  );
}
