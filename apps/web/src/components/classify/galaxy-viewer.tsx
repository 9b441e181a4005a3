"use client";

import { useRef, useState, type KeyboardEvent, type PointerEvent } from "react";

const ZOOM = { min: 1, max: 4, step: 0.5 };
const BRIGHTNESS = { min: 0.5, max: 2.5, step: 0.1 };
/** How far an arrow key pans, in percent of the image. */
const PAN_STEP = 5;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * The galaxy image with zoom, pan (drag with a mouse or a finger, or arrow keys), brightness,
 * invert and rotate, done with a CSS transform and filter.
 */
export function GalaxyViewer({ src, alt }: { src: string; alt: string }) {
  const [zoom, setZoomState] = useState(1);
  const [brightness, setBrightness] = useState(1);
  const [inverted, setInverted] = useState(false);
  const [rotation, setRotation] = useState(0);
  // Pan in percent of the image; a zoomed image can move until its edge meets the frame's.
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const drag = useRef<{ x: number; y: number; width: number } | null>(null);
  const limit = (z: number) => ((z - 1) / 2) * 100;
  const panBy = (dx: number, dy: number, z = zoom) =>
    setPan((p) => ({ x: clamp(p.x + dx, -limit(z), limit(z)), y: clamp(p.y + dy, -limit(z), limit(z)) }));
  const setZoom = (update: (z: number) => number) => {
    const z = clamp(update(zoom), ZOOM.min, ZOOM.max);
    setZoomState(z);
    panBy(0, 0, z);
  };
  const reset = () => {
    setZoomState(1);
    setBrightness(1);
    setInverted(false);
    setRotation(0);
    setPan({ x: 0, y: 0 });
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY, width: e.currentTarget.clientWidth };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const start = drag.current;
    if (!start) return;
    panBy(((e.clientX - start.x) / start.width) * 100, ((e.clientY - start.y) / start.width) * 100);
    drag.current = { ...start, x: e.clientX, y: e.clientY };
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const step = { ArrowLeft: [PAN_STEP, 0], ArrowRight: [-PAN_STEP, 0], ArrowUp: [0, PAN_STEP], ArrowDown: [0, -PAN_STEP] }[e.key];
    if (!step) return;
    e.preventDefault();
    panBy(step[0]!, step[1]!);
  };
  return (
    <figure className="space-y-3">
      <div
        className="relative aspect-square touch-none overflow-hidden rounded-2xl border border-white/10 bg-black shadow-2xl shadow-indigo-950/40 focus-visible:outline-2 focus-visible:outline-indigo-300"
        data-testid="galaxy-image"
        tabIndex={0}
        role="group"
        aria-label="Galaxy image: drag, or use the arrow keys, to look around when zoomed in"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={() => (drag.current = null)}
        onPointerCancel={() => (drag.current = null)}
        onKeyDown={onKeyDown}
      >
        {/* eslint-disable-next-line @next/next/no-img-element -- served by our own route with long caching; no optimiser needed */}
        <img
          src={src}
          alt={alt}
          draggable={false}
          className="h-full w-full object-cover transition-[transform,filter] duration-200 select-none"
          style={{
            transform: `translate(${pan.x}%, ${pan.y}%) scale(${zoom}) rotate(${rotation}deg)`,
            filter: `brightness(${brightness})${inverted ? " invert(1)" : ""}`,
          }}
        />
        <div className="pointer-events-none absolute inset-0 rounded-2xl ring-1 ring-inset ring-white/5" />
      </div>
      <figcaption className="flex flex-wrap items-center gap-x-4 gap-y-2 text-xs text-slate-400">
        <div className="flex items-center gap-1">
          <span className="mr-1">Zoom</span>
          <button type="button" aria-label="Zoom out" className={ctl} onClick={() => setZoom((z) => z - ZOOM.step)}>
            −
          </button>
          <span className="w-9 text-center tabular-nums">{zoom.toFixed(1)}×</span>
          <button type="button" aria-label="Zoom in" className={ctl} onClick={() => setZoom((z) => z + ZOOM.step)}>
            +
          </button>
        </div>
        <label className="flex flex-1 items-center gap-2">
          <span>Brightness</span>
          <input
            type="range"
            aria-label="Brightness"
            min={BRIGHTNESS.min}
            max={BRIGHTNESS.max}
            step={BRIGHTNESS.step}
            value={brightness}
            onChange={(e) => setBrightness(Number(e.target.value))}
            className="min-w-24 flex-1 accent-indigo-400"
          />
        </label>
        <button type="button" aria-label="Rotate a quarter turn" className={ctl} onClick={() => setRotation((r) => (r + 90) % 360)}>
          ⟳
        </button>
        <button type="button" aria-pressed={inverted} className={`${ctl} w-auto px-2 text-xs`} onClick={() => setInverted((v) => !v)}>
          Invert
        </button>
        <button type="button" className="text-slate-400 underline-offset-2 hover:text-white hover:underline" onClick={reset}>
          Reset
        </button>
      </figcaption>
    </figure>
  );
}

const ctl = "grid h-7 w-7 place-items-center rounded-md border border-white/15 text-base text-slate-200 hover:bg-white/10";
