// One synthetic detection image, deterministic from a seed: a background (solid, gradient or
// noise texture), clutter that is not an object (lines, irregular blotches), 1..maxObjects shapes
// (random class, colour, size 8%..60% of the side, rotation) that may overlap but never hide more
// than 60% of an earlier one, a few thin lines drawn over everything, and pixel noise.
// Output: RGB bytes plus one box per object, the tight box of the whole shape as drawn (its full
// extent, occluded parts included) and its visible pixel count as `area` (what a COCO segmentation
// area would be).
import { rasterizeShape, SHAPE_NAMES, type ShapeName } from './synth-shapes.js';
import type { BoxXYXY } from './types.js';

export interface SceneOptions {
  /** Image side in pixels (square images). */
  size: number;
  /** Shape names in channel order. */
  classes: readonly ShapeName[];
  /** Most objects per image (at least 1 is always placed). Default 5. */
  maxObjects?: number;
  /**
   * false renders the same scene without its objects: identical background, clutter, overlay
   * lines and noise (each comes from its own random stream). For negatives, and for tests.
   */
  objects?: boolean;
  /**
   * 'heavy' adds, from a stream of its own (so 'normal' scenes stay byte-identical): striped
   * backgrounds, many small dots and more thin lines under the objects, and a few dots over them.
   * Default 'normal'.
   */
  clutter?: Clutter;
}

export const CLUTTER_LEVELS = ['normal', 'heavy'] as const;
export type Clutter = (typeof CLUTTER_LEVELS)[number];

export interface SceneObject {
  classId: number;
  box: BoxXYXY;
  /** Visible pixels. */
  area: number;
}

export interface Scene {
  data: Uint8Array;
  width: number;
  height: number;
  objects: SceneObject[];
}

/** Smallest / largest object diameter as a fraction of the image side. */
const MIN_FRACTION = 0.08;
const MAX_FRACTION = 0.6;
/** An earlier object must keep at least this fraction of its pixels visible. */
const MIN_VISIBLE = 0.4;
/** Objects smaller than this many pixels are re-drawn (tiny images, tiny fractions). */
const MIN_PIXELS = 6;
/** Placement attempts per object before giving up on it. */
const PLACE_TRIES = 30;
/** Colour attempts per object; a colour is accepted when few pixels under it look alike. */
const COLOUR_TRIES = 24;
/** Two colours closer than this (Euclidean, 0..255 per channel) are "alike". */
const ALIKE_DISTANCE = 70;
/** At most this fraction of an object's pixels may lie on something of an alike colour. */
const MAX_ALIKE = 0.1;

import { mulberry32 } from '../util/random.js';

export { mulberry32 };

/** Mixes several integers into one 32-bit seed (murmur3 finaliser per step). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

type Rng = () => number;
type Rgb = [number, number, number];

const uniform = (r: Rng, lo: number, hi: number) => lo + (hi - lo) * r();
const randInt = (r: Rng, lo: number, hi: number) => Math.min(hi, lo + Math.floor(r() * (hi - lo + 1)));
const randColour = (r: Rng): Rgb => [Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 256)];

function background(r: Rng, S: number, px: Float32Array): void {
  const kind = randInt(r, 0, 2);
  const c0 = randColour(r);
  if (kind === 0) {
    // solid
    for (let i = 0; i < S * S; i++) px.set(c0, i * 3);
  } else if (kind === 1) {
    // linear gradient between two colours along a random direction
    const c1 = randColour(r);
    const a = uniform(r, 0, 2 * Math.PI);
    const dx = Math.cos(a);
    const dy = Math.sin(a);
    const lo = Math.min(0, dx * S) + Math.min(0, dy * S);
    const span = Math.abs(dx * S) + Math.abs(dy * S) || 1;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const t = (dx * x + dy * y - lo) / span;
        const i = (y * S + x) * 3;
        for (let c = 0; c < 3; c++) px[i + c] = c0[c] + (c1[c] - c0[c]) * t;
      }
    }
  } else {
    // value-noise texture: a coarse grid of colours around c0, bilinearly interpolated
    const g = randInt(r, 3, 9);
    const amp = uniform(r, 20, 80);
    const grid = new Float32Array((g + 1) * (g + 1) * 3);
    for (let i = 0; i < grid.length; i++) grid[i] = c0[i % 3] + uniform(r, -amp, amp);
    for (let y = 0; y < S; y++) {
      const gy = (y / S) * g;
      const y0 = Math.floor(gy);
      const fy = gy - y0;
      for (let x = 0; x < S; x++) {
        const gx = (x / S) * g;
        const x0 = Math.floor(gx);
        const fx = gx - x0;
        const i = (y * S + x) * 3;
        for (let c = 0; c < 3; c++) {
          const v00 = grid[(y0 * (g + 1) + x0) * 3 + c];
          const v01 = grid[(y0 * (g + 1) + x0 + 1) * 3 + c];
          const v10 = grid[((y0 + 1) * (g + 1) + x0) * 3 + c];
          const v11 = grid[((y0 + 1) * (g + 1) + x0 + 1) * 3 + c];
          px[i + c] = (v00 * (1 - fx) + v01 * fx) * (1 - fy) + (v10 * (1 - fx) + v11 * fx) * fy;
        }
      }
    }
  }
}

/** A line segment of the given thickness (pixels whose centre is within thickness/2 of it). */
function drawLine(px: Float32Array, S: number, x0: number, y0: number, x1: number, y1: number, thick: number, col: Rgb): void {
  const half = thick / 2;
  const len2 = (x1 - x0) ** 2 + (y1 - y0) ** 2 || 1;
  const xa = Math.max(0, Math.floor(Math.min(x0, x1) - half));
  const xb = Math.min(S, Math.ceil(Math.max(x0, x1) + half));
  const ya = Math.max(0, Math.floor(Math.min(y0, y1) - half));
  const yb = Math.min(S, Math.ceil(Math.max(y0, y1) + half));
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      const t = Math.max(0, Math.min(1, ((x + 0.5 - x0) * (x1 - x0) + (y + 0.5 - y0) * (y1 - y0)) / len2));
      const ex = x + 0.5 - (x0 + t * (x1 - x0));
      const ey = y + 0.5 - (y0 + t * (y1 - y0));
      if (ex * ex + ey * ey <= half * half) px.set(col, (y * S + x) * 3);
    }
  }
}

function randomLine(r: Rng, px: Float32Array, S: number, maxThick: number): void {
  drawLine(px, S, uniform(r, 0, S), uniform(r, 0, S), uniform(r, 0, S), uniform(r, 0, S), uniform(r, 1, maxThick), randColour(r));
}

/** An irregular blotch: a star-shaped polygon with random radii, small, not one of the classes. */
function blotch(r: Rng, px: Float32Array, S: number): void {
  const n = randInt(r, 7, 12);
  const rad = uniform(r, 0.02, 0.06) * S;
  const cx = uniform(r, 0, S);
  const cy = uniform(r, 0, S);
  const pts: [number, number][] = [];
  for (let k = 0; k < n; k++) {
    const a = (2 * Math.PI * (k + uniform(r, -0.3, 0.3))) / n;
    const rr = rad * uniform(r, 0.3, 1);
    pts.push([cx + rr * Math.cos(a), cy + rr * Math.sin(a)]);
  }
  const col = randColour(r);
  for (let y = Math.max(0, Math.floor(cy - rad)); y < Math.min(S, Math.ceil(cy + rad)); y++) {
    for (let x = Math.max(0, Math.floor(cx - rad)); x < Math.min(S, Math.ceil(cx + rad)); x++) {
      let inside = false;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const [xi, yi] = pts[i];
        const [xj, yj] = pts[j];
        if (yi > y + 0.5 !== yj > y + 0.5 && x + 0.5 < ((xj - xi) * (y + 0.5 - yi)) / (yj - yi) + xi) inside = !inside;
      }
      if (inside) px.set(col, (y * S + x) * 3);
    }
  }
}

/** A filled disc of radius rad (pixels whose centre is inside). */
function dot(px: Float32Array, S: number, cx: number, cy: number, rad: number, col: Rgb): void {
  for (let y = Math.max(0, Math.floor(cy - rad)); y < Math.min(S, Math.ceil(cy + rad)); y++) {
    for (let x = Math.max(0, Math.floor(cx - rad)); x < Math.min(S, Math.ceil(cx + rad)); x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= rad * rad) px.set(col, (y * S + x) * 3);
    }
  }
}

const randomDot = (r: Rng, px: Float32Array, S: number) => dot(px, S, uniform(r, 0, S), uniform(r, 0, S), uniform(r, 0.6, Math.max(1, S / 64)), randColour(r));

/** Heavy clutter under the objects: half the time stripes blended into the background, then dots and thin lines. */
function heavyClutterUnder(r: Rng, px: Float32Array, S: number): void {
  if (r() < 0.5) {
    const col = randColour(r);
    const a = uniform(r, 0, Math.PI);
    const period = uniform(r, 4, S / 6);
    const mix = uniform(r, 0.25, 0.6);
    const [dx, dy] = [Math.cos(a), Math.sin(a)];
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        if (((dx * x + dy * y) / period) % 1 < 0.5) continue;
        const i = (y * S + x) * 3;
        for (let c = 0; c < 3; c++) px[i + c] += (col[c] - px[i + c]) * mix;
      }
    }
  }
  const nDots = randInt(r, 10, 40);
  for (let i = 0; i < nDots; i++) randomDot(r, px, S);
  const nLines = randInt(r, 3, 8);
  for (let i = 0; i < nLines; i++) randomLine(r, px, S, 1.5);
}

/** A colour channel brightened or darkened by factor f, kept in range. */
const shaded = (v: number, f: number) => Math.min(255, v * f);

/**
 * A colour that, with its shading `shadeAt(p)`, stands out from what lies under `mask` now and
 * from the object-free scene there (few pixels alike in either), or null.
 */
function contrastingColour(r: Rng, canvases: Float32Array[], mask: Int32Array, shadeAt: (p: number) => number): Rgb | null {
  for (let t = 0; t < COLOUR_TRIES; t++) {
    const col = randColour(r);
    let alike = 0;
    for (const p of mask) {
      const f = shadeAt(p);
      for (const px of canvases) {
        const d = (px[p * 3] - shaded(col[0], f)) ** 2 + (px[p * 3 + 1] - shaded(col[1], f)) ** 2 + (px[p * 3 + 2] - shaded(col[2], f)) ** 2;
        if (d < ALIKE_DISTANCE * ALIKE_DISTANCE) {
          alike++;
          break;
        }
      }
    }
    if (alike <= MAX_ALIKE * mask.length) return col;
  }
  return null;
}

/** Renders one scene. The same (seed, options) always gives the same pixels and boxes. */
export function renderScene(seed: number, options: SceneOptions): Scene {
  const S = options.size;
  const maxObjects = options.maxObjects ?? 5;
  if (!Number.isInteger(S) || S < 16 || S > 4096) throw new Error(`size: expected an integer in [16, 4096], got ${S}`);
  if (!Number.isInteger(maxObjects) || maxObjects < 1) throw new Error(`maxObjects: expected a positive integer, got ${maxObjects}`);
  if (options.classes.length === 0) throw new Error('classes: at least one shape class is needed');
  for (const c of options.classes) {
    if (!SHAPE_NAMES.includes(c)) throw new Error(`classes: unknown shape "${c}" (known: ${SHAPE_NAMES.join(', ')})`);
  }
  // separate streams, so that leaving the objects out changes nothing else
  const rScene = mulberry32(mixSeed(seed, 1));
  const r = mulberry32(mixSeed(seed, 2));
  const rFinish = mulberry32(mixSeed(seed, 3));
  const clutter = options.clutter ?? 'normal';
  if (!CLUTTER_LEVELS.includes(clutter)) throw new Error(`clutter: expected one of ${CLUTTER_LEVELS.join(', ')}, got ${JSON.stringify(clutter)}`);
  const rHeavy = clutter === 'heavy' ? mulberry32(mixSeed(seed, 4)) : undefined;
  const px = new Float32Array(S * S * 3);
  background(rScene, S, px);
  const nLines = randInt(rScene, 0, 5);
  for (let i = 0; i < nLines; i++) randomLine(rScene, px, S, Math.max(1.5, S / 64));
  const nBlotches = randInt(rScene, 0, 4);
  for (let i = 0; i < nBlotches; i++) blotch(rScene, px, S);
  if (rHeavy) heavyClutterUnder(rHeavy, px, S);
  const bare = px.slice();

  // objects, painted in order; owner[p] = index of the object visible at p (-1: none)
  const owner = new Int32Array(S * S).fill(-1);
  const full: number[] = [];
  const visible: number[] = [];
  const placed: { classId: number; box: BoxXYXY }[] = [];
  const want = options.objects === false ? 0 : randInt(r, 1, maxObjects);
  for (let k = 0; k < want; k++) {
    for (let attempt = 0; attempt < PLACE_TRIES; attempt++) {
      const classId = randInt(r, 0, options.classes.length - 1);
      // log-uniform diameter: small objects as common as large ones per octave
      const diameter = S * Math.exp(uniform(r, Math.log(MIN_FRACTION), Math.log(MAX_FRACTION)));
      const radius = diameter / 2;
      const cx = uniform(r, radius, S - radius);
      const cy = uniform(r, radius, S - radius);
      const angle = uniform(r, 0, 2 * Math.PI);
      const mask = rasterizeShape({ shape: options.classes[classId], cx, cy, radius, angle }, S, S);
      if (mask.length < MIN_PIXELS) continue;
      // how many pixels each earlier object would lose under this one
      const lost = new Map<number, number>();
      for (const p of mask) if (owner[p] >= 0) lost.set(owner[p], (lost.get(owner[p]) ?? 0) + 1);
      let tooHidden = false;
      for (const [j, n] of lost) if (visible[j] - n < MIN_VISIBLE * full[j]) tooHidden = true;
      if (tooHidden) continue;
      // a gentle brightness ramp across the object so it is not perfectly flat
      const shade = uniform(r, -0.15, 0.15);
      const shadeAt = (p: number) => 1 + shade * ((Math.floor(p / S) - cy) / radius);
      const col = contrastingColour(r, [px, bare], mask, shadeAt);
      if (!col) continue;
      const idx = placed.length;
      let x0 = S;
      let y0 = S;
      let x1 = 0;
      let y1 = 0;
      for (const p of mask) {
        const x = p % S;
        const y = (p - x) / S;
        const f = shadeAt(p);
        for (let c = 0; c < 3; c++) px[p * 3 + c] = shaded(col[c], f);
        if (owner[p] >= 0) visible[owner[p]]--;
        owner[p] = idx;
        if (x < x0) x0 = x;
        if (y < y0) y0 = y;
        if (x + 1 > x1) x1 = x + 1;
        if (y + 1 > y1) y1 = y + 1;
      }
      full.push(mask.length);
      visible.push(mask.length);
      placed.push({ classId, box: [x0, y0, x1, y1] });
      break;
    }
  }

  // thin lines over everything (occluders that are not objects), then sensor-like noise
  const nOver = randInt(rFinish, 0, 2);
  for (let i = 0; i < nOver; i++) randomLine(rFinish, px, S, 1.5);
  if (rHeavy) for (let i = randInt(rHeavy, 0, 8); i > 0; i--) randomDot(rHeavy, px, S);
  const noise = uniform(rFinish, 0, 12);
  const data = new Uint8Array(S * S * 3);
  for (let i = 0; i < data.length; i++) {
    const v = px[i] + (rFinish() * 2 - 1) * noise;
    data[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return { data, width: S, height: S, objects: placed.map((o, j) => ({ ...o, area: visible[j] })) };
}
