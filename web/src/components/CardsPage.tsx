import { useEffect, useState } from 'preact/hooks';
import { assignCard, listCards } from '../api';
import type { Card } from '../types';

function CardRow({ card, onSaved }: { card: Card; onSaved(c: Card): void }) {
  const [monitor, setMonitor] = useState(card.monitor ?? '');
  const [state, setState] = useState('');
  const save = (e: Event): void => {
    e.preventDefault();
    setState('saving…');
    assignCard(card.id, monitor.trim())
      .then((c) => {
        onSaved(c);
        setState(
          c.failed.length
            ? `saved; ${c.moved} moved, ${c.failed.length} could not move (${c.failed[0]!.message}): assign again to retry`
            : `saved; ${c.moved} item${c.moved === 1 ? '' : 's'} moved to ${c.monitor}`,
        );
      })
      .catch((err: Error) => setState(err.message));
  };
  return (
    <li class="card-row">
      <div>
        <strong>{card.label ?? card.id}</strong> <small>{card.id}</small>
        <br />
        {card.items} items · last seen {card.lastSeen.slice(0, 10)}
      </div>
      <form class="edit-only" onSubmit={save}>
        <label>
          Monitor
          <input
            name="monitor"
            value={monitor}
            placeholder="_unassigned"
            required
            onInput={(e) => setMonitor((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Assign</button>
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
      .catch((e: Error) => setError(e.message));
  }, []);
  return (
    <section class="page">
      <h1>Cards</h1>
      <p class="hint">
        Assigning a card moves its items to the monitor's folders on the drive; its future ingests go there
        too.
      </p>
      {error && <p class="error">{error}</p>}
      {cards && cards.length === 0 && <p>No cards yet: insert one at the station.</p>}
      <ul class="cards">
        {cards?.map((c) => (
          <CardRow key={c.id} card={c} onSaved={(n) => setCards(cards.map((x) => (x.id === n.id ? n : x)))} />
        ))}
      </ul>
    </section>
  );
}
