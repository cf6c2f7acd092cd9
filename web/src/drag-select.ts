import { useEffect, useRef, useState } from 'preact/hooks';
import type { Rect } from './layout';

/** Pixels a mouse must move before a press becomes a drag (a click stays a click). */
const THRESHOLD = 8;
/** Distance from the top or bottom edge where a drag scrolls the grid, and the speed there. */
const EDGE = 48;
const SPEED = 18;

/**
 * Rubber-band selection with the mouse over the scrolling grid `ref`. Coordinates are in
 * canvas pixels (scroll included), so a drag can scroll the grid at its edges and still select
 * everything it passed over. Touch and pen keep their native scrolling: on tablets selection
 * is by the check boxes. `onDone` receives the final rectangle and whether a modifier key asked
 * to add to the selection rather than replace it.
 */
export function useDragSelect(
  ref: { current: HTMLElement | null },
  onDone: (rect: Rect, additive: boolean) => void,
): Rect | null {
  const [lasso, setLasso] = useState<Rect | null>(null);
  const done = useRef(onDone);
  done.current = onDone;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let start: { x: number; y: number; additive: boolean } | null = null;
    let dragging = false;
    let last = { clientX: 0, clientY: 0 };
    let frame = 0;
    let rect: Rect | null = null;

    const toCanvas = (clientX: number, clientY: number): { x: number; y: number } => {
      const b = el.getBoundingClientRect();
      return { x: clientX - b.left + el.scrollLeft, y: clientY - b.top + el.scrollTop };
    };
    const update = (): void => {
      if (!start) return;
      const p = toCanvas(last.clientX, last.clientY);
      rect = { x0: start.x, y0: start.y, x1: p.x, y1: p.y };
      setLasso(rect);
    };
    const autoScroll = (): void => {
      frame = 0;
      if (!dragging) return;
      const b = el.getBoundingClientRect();
      const dy = last.clientY < b.top + EDGE ? -SPEED : last.clientY > b.bottom - EDGE ? SPEED : 0;
      if (dy) {
        el.scrollTop += dy;
        update();
        frame = requestAnimationFrame(autoScroll);
      }
    };
    const stop = (): void => {
      start = null;
      dragging = false;
      rect = null;
      setLasso(null);
      if (frame) cancelAnimationFrame(frame);
      frame = 0;
    };
    const onDown = (e: PointerEvent): void => {
      if (e.pointerType !== 'mouse' || e.button !== 0) return;
      if ((e.target as Element).closest('.check, input, select, textarea, a')) return;
      const p = toCanvas(e.clientX, e.clientY);
      start = { ...p, additive: e.shiftKey || e.ctrlKey || e.metaKey };
      last = e;
    };
    const onMove = (e: PointerEvent): void => {
      if (!start) return;
      last = e;
      if (!dragging) {
        const p = toCanvas(e.clientX, e.clientY);
        if (Math.hypot(p.x - start.x, p.y - start.y) < THRESHOLD) return;
        dragging = true;
        el.setPointerCapture(e.pointerId);
      }
      e.preventDefault();
      update();
      if (!frame) frame = requestAnimationFrame(autoScroll);
    };
    const onUp = (): void => {
      if (dragging && start && rect) {
        done.current(rect, start.additive);
        // The release ends on some thumbnail: that click must not open it.
        const swallow = (c: Event): void => {
          c.stopPropagation();
          c.preventDefault();
        };
        addEventListener('click', swallow, { capture: true, once: true });
        setTimeout(() => removeEventListener('click', swallow, { capture: true }), 0);
      }
      stop();
    };
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape' && start) stop();
    };
    el.addEventListener('pointerdown', onDown);
    el.addEventListener('pointermove', onMove);
    el.addEventListener('pointerup', onUp);
    el.addEventListener('pointercancel', stop);
    addEventListener('keydown', onKey);
    return () => {
      el.removeEventListener('pointerdown', onDown);
      el.removeEventListener('pointermove', onMove);
      el.removeEventListener('pointerup', onUp);
      el.removeEventListener('pointercancel', stop);
      removeEventListener('keydown', onKey);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [ref]);

  return lasso;
}
