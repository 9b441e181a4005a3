"use client";

import { useState } from "react";

const ZOOM = { min: 1, max: 4, step: 0.5 };
const BRIGHTNESS = { min: 0.5, max: 2.5, step: 0.1 };

/** The galaxy image with zoom and brightness, done with a CSS transform and filter. */
export function GalaxyViewer({ src, alt }: { src: string; alt: string }) {
  const [zoom, setZoom] = useState(1);
  const [brightness, setBrightness] = useState(1);
  const clampZoom = (z: number) => Math.min(ZOOM.max, Math.max(ZOOM.min, z));
  return (
    <figure className="space-y-3">
      <div className="relative aspect-square overflow-hidden rounded-2xl border border-white/10 bg-black shadow-2xl shadow-indigo-950/40">
        {/* eslint-disable-next-line @next/next/no-img-element -- served by our own route with long caching; no optimiser needed */}
        <img
          src={src}
          alt={alt}
          draggable={false}
          className="h-full w-full object-cover transition-[transform,filter] duration-200 select-none"
          style={{ transform: `scale(${zoom})`, filter: `brightness(${brightness})` }}
        />
        <div className="pointer-events-none absolute inset-0 rounded-2xl ring-1 ring-inset ring-white/5" />
      </div>
      <figcaption className="flex flex-wrap items-center gap-x-4 gap-y-2 text-xs text-slate-400">
        <div className="flex items-center gap-1">
          <span className="mr-1">Zoom</span>
          <button type="button" aria-label="Zoom out" className={ctl} onClick={() => setZoom((z) => clampZoom(z - ZOOM.step))}>
            −
          </button>
          <span className="w-9 text-center tabular-nums">{zoom.toFixed(1)}×</span>
          <button type="button" aria-label="Zoom in" className={ctl} onClick={() => setZoom((z) => clampZoom(z + ZOOM.step))}>
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
        <button
          type="button"
          className="text-slate-400 underline-offset-2 hover:text-white hover:underline"
          onClick={() => {
            setZoom(1);
            setBrightness(1);
          }}
        >
          Reset
        </button>
      </figcaption>
    </figure>
  );
}

const ctl = "grid h-7 w-7 place-items-center rounded-md border border-white/15 text-base text-slate-200 hover:bg-white/10";
