import { useEffect, useState } from 'preact/hooks';

/** A short message where the user is looking (bottom of the screen), with an optional action. */
export interface Toast {
  text: string;
  kind: 'info' | 'error';
  action?: { label: string; run(): void };
}

type Listener = (t: Toast | null) => void;
const listeners = new Set<Listener>();
let current: Toast | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

/** Show a toast (replacing the one shown); it goes after `ms` (errors and undo stay longer). */
export function showToast(t: Toast, ms = t.kind === 'error' || t.action ? 15000 : 5000): void {
  current = t;
  clearTimeout(timer);
  timer = setTimeout(() => setToast(null), ms);
  for (const fn of listeners) fn(current);
}

function setToast(t: Toast | null): void {
  current = t;
  for (const fn of listeners) fn(current);
}

export const hideToast = (): void => setToast(null);

export function useToast(): Toast | null {
  const [t, set] = useState<Toast | null>(current);
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return t;
}
