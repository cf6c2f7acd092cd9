import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A component loaded with import() the first time it is wanted (its own chunk: the gallery's
 * bundle stays small). Undefined until loaded; a failed load is retried on the next want.
 */
export function useLazy<P>(
  load: () => Promise<ComponentType<P>>,
  wanted: boolean,
): ComponentType<P> | undefined {
  const [c, setC] = useState<{ C: ComponentType<P> } | undefined>(undefined);
  useEffect(() => {
    if (!wanted || c) return;
    let live = true;
    load()
      .then((C) => live && setC({ C }))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [wanted]);
  return c?.C;
}
