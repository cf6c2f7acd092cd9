import { useCallback, useState } from 'preact/hooks';

export interface Selection {
  ids: Set<string>;
  /** Toggle one (click on the check box, ctrl/cmd-click) or extend to a range (shift-click). */
  pick(index: number, ids: string[], range: boolean): void;
  set(ids: string[]): void;
  /** Add `ids` to the selection (drag with a modifier key), or make them the selection. */
  addMany(ids: string[], replace: boolean): void;
  clear(): void;
}

export function useSelection(): Selection {
  const [ids, setIds] = useState<Set<string>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const pick = useCallback(
    (index: number, all: string[], range: boolean) => {
      const id = all[index];
      if (id === undefined) return;
      if (range && anchor !== null) {
        const [a, b] = anchor < index ? [anchor, index] : [index, anchor];
        setIds((prev) => {
          const next = new Set(prev);
          for (let i = a; i <= b; i++) next.add(all[i]!);
          return next;
        });
      } else {
        setIds((prev) => {
          const next = new Set(prev);
          if (next.has(id)) next.delete(id);
          else next.add(id);
          return next;
        });
      }
      setAnchor(index);
    },
    [anchor],
  );
  return {
    ids,
    pick,
    set: useCallback((list: string[]) => setIds(new Set(list)), []),
    addMany: useCallback((list: string[], replace: boolean) => {
      setIds((prev) => {
        const next = new Set(replace ? [] : prev);
        for (const id of list) next.add(id);
        return next;
      });
      setAnchor(null);
    }, []),
    clear: useCallback(() => {
      setIds(new Set());
      setAnchor(null);
    }, []),
  };
}
