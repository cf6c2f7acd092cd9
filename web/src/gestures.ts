/**
 * Touch gestures, as photo apps have them: long-press to select in the grid; in the item view,
 * swipe to the next or previous item, pinch to zoom, drag to pan a zoomed picture, double-tap to
 * zoom in or out. Pointer events only (a mouse keeps its clicks, keys and drag-select).
 */
import { useEffect, useRef, type MutableRef } from 'preact/hooks';
import { clampView, pan, pinch, REST, swipeOf, toggleZoom, type Point, type View } from './zoom';

export const LONG_PRESS_MS = 500;
/** A finger that moves further than this is scrolling, not pressing. */
const SLOP_PX = 10;
const DOUBLE_TAP_MS = 300;

const pointOf = (e: PointerEvent): Point => ({ x: e.clientX, y: e.clientY });

/**
 * A finger held still on an element matching `selector` inside `ref` for LONG_PRESS_MS calls
 * `onLongPress(element)`; the click that the lifted finger then makes is swallowed (it would open
 * the item) and so is the browser's context menu.
 */
export function useLongPress(
  ref: MutableRef<HTMLElement | null>,
  selector: string,
  onLongPress: (el: Element) => void,
): void {
  const cb = useRef(onLongPress);
  cb.current = onLongPress;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let start: Point | undefined;
    let fired = false;
    const cancel = (): void => {
      clearTimeout(timer);
      timer = undefined;
    };
    const onDown = (e: PointerEvent): void => {
      if (e.pointerType !== 'touch' || !e.isPrimary) return;
      const target = (e.target as Element).closest(selector);
      if (!target || !el.contains(target)) return;
      fired = false;
      start = pointOf(e);
      cancel();
      timer = setTimeout(() => {
        timer = undefined;
        fired = true;
        navigator.vibrate?.(15);
        cb.current(target);
      }, LONG_PRESS_MS);
    };
    const onMove = (e: PointerEvent): void => {
      if (timer && start && Math.hypot(e.clientX - start.x, e.clientY - start.y) > SLOP_PX) cancel();
    };
    const onClick = (e: MouseEvent): void => {
      if (!fired) return;
      fired = false;
      e.preventDefault();
      e.stopPropagation();
    };
    const onMenu = (e: Event): void => {
      if (timer || fired) e.preventDefault();
    };
    el.addEventListener('pointerdown', onDown);
    el.addEventListener('pointermove', onMove);
    el.addEventListener('pointerup', cancel);
    el.addEventListener('pointercancel', cancel);
    el.addEventListener('click', onClick, true);
    el.addEventListener('contextmenu', onMenu);
    return () => {
      cancel();
      el.removeEventListener('pointerdown', onDown);
      el.removeEventListener('pointermove', onMove);
      el.removeEventListener('pointerup', cancel);
      el.removeEventListener('pointercancel', cancel);
      el.removeEventListener('click', onClick, true);
      el.removeEventListener('contextmenu', onMenu);
    };
  }, [ref, selector]);
}

/**
 * The item view's media box: a swipe calls `onSwipe(-1)` (to the left: next) or `onSwipe(1)`;
 * on a picture (`img.zoomable` inside the box) two fingers zoom, one finger pans it once zoomed
 * and a double tap zooms in or back. The view resets when `key` (the item) changes. With several
 * pictures in the box (Compare), they all show the same view: zoom one, see the same spot in all.
 */
export function useMediaGestures(
  ref: MutableRef<HTMLElement | null>,
  key: string,
  onSwipe?: (dir: -1 | 1) => void,
): void {
  const cb = useRef(onSwipe);
  cb.current = onSwipe;
  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    /** The picture the gesture started on (its centre anchors the zoom), else the first one. */
    let target: HTMLImageElement | null = null;
    const img = (): HTMLImageElement | null =>
      target && box.contains(target) ? target : box.querySelector('img.zoomable');
    let view: View = REST;
    const show = (v: View): void => {
      const pic = img();
      if (!pic) return;
      view = clampView(v, pic.clientWidth, pic.clientHeight);
      const transform = view.scale === 1 ? '' : `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
      for (const p of box.querySelectorAll<HTMLImageElement>('img.zoomable')) p.style.transform = transform;
      box.dataset['zoom'] = view.scale.toFixed(2);
    };
    const onWheel = (e: WheelEvent): void => {
      // A mouse or trackpad: the wheel (or a trackpad pinch, sent as ctrl+wheel) zooms at the pointer.
      if (!img()) return;
      e.preventDefault();
      const k = Math.exp(-e.deltaY / (e.ctrlKey ? 100 : 300));
      const p = pointOf(e as unknown as PointerEvent);
      const c = centre();
      show(
        pinch(
          view,
          c,
          { x: p.x - 1, y: p.y },
          { x: p.x + 1, y: p.y },
          { x: p.x - k, y: p.y },
          { x: p.x + k, y: p.y },
        ),
      );
    };
    show(REST);
    const down = new Map<number, Point>();
    let gesture: { view: View; points: Map<number, Point>; centre: Point; at: number } | undefined;
    let lastTap: { at: number; p: Point } | undefined;
    let pinched = false;
    const centre = (): Point => {
      const r = (img() ?? box).getBoundingClientRect();
      // The picture's resting centre: its box now, less the offset it is drawn at.
      return { x: r.left + r.width / 2 - view.x, y: r.top + r.height / 2 - view.y };
    };
    const begin = (): void => {
      gesture = { view, points: new Map(down), centre: centre(), at: performance.now() };
    };
    const onDown = (e: PointerEvent): void => {
      if (e.pointerType !== 'touch') return;
      if (down.size === 0) target = (e.target as Element).closest?.('img.zoomable') ?? target;
      down.set(e.pointerId, pointOf(e));
      if (down.size === 1) pinched = false;
      begin();
    };
    const onMove = (e: PointerEvent): void => {
      if (!down.has(e.pointerId) || !gesture) return;
      down.set(e.pointerId, pointOf(e));
      if (!img()) return;
      const ids = [...gesture.points.keys()];
      if (down.size >= 2 && ids.length >= 2) {
        pinched = true;
        const [a, b] = ids as [number, number];
        show(
          pinch(
            gesture.view,
            gesture.centre,
            gesture.points.get(a)!,
            gesture.points.get(b)!,
            down.get(a) ?? gesture.points.get(a)!,
            down.get(b) ?? gesture.points.get(b)!,
          ),
        );
      } else if (down.size === 1 && gesture.view.scale > 1) {
        show(pan(gesture.view, gesture.points.get(e.pointerId) ?? pointOf(e), pointOf(e)));
      }
    };
    const onUp = (e: PointerEvent): void => {
      if (!down.has(e.pointerId)) return;
      const from = gesture?.points.get(e.pointerId);
      const single = down.size === 1 && !pinched && gesture?.points.size === 1;
      down.delete(e.pointerId);
      if (e.type === 'pointerup' && single && from && gesture) {
        const to = pointOf(e);
        const now = performance.now();
        const dir = view.scale === 1 && cb.current ? swipeOf(from, to, now - gesture.at) : 0;
        if (dir) cb.current?.(dir);
        else if (Math.hypot(to.x - from.x, to.y - from.y) < SLOP_PX && img()) {
          if (lastTap && now - lastTap.at < DOUBLE_TAP_MS) {
            show(toggleZoom(view, centre(), to));
            lastTap = undefined;
          } else lastTap = { at: now, p: to };
        }
      }
      // The fingers left start a new gesture from where the picture is now.
      if (down.size > 0) begin();
      else gesture = undefined;
    };
    box.addEventListener('pointerdown', onDown);
    box.addEventListener('pointermove', onMove);
    box.addEventListener('pointerup', onUp);
    box.addEventListener('pointercancel', onUp);
    box.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      box.removeEventListener('wheel', onWheel);
      box.removeEventListener('pointerdown', onDown);
      box.removeEventListener('pointermove', onMove);
      box.removeEventListener('pointerup', onUp);
      box.removeEventListener('pointercancel', onUp);
    };
  }, [ref, key]);
}
