// Seeded pseudo-random data for tests and benchmarks (mulberry32): the same inputs on every run,
// and the error measures the acceptance criteria use.
import { mulberry32 } from '../../trainer/util/random.js';

/** Uniform numbers in [0, 1) from a seed (the project's mulberry32 stream). */
export const rng = mulberry32;

/** Uniform values in [lo, hi). */
export function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** max |a - b| / max(|b|, floor): the relative error used by the acceptance criteria. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/**
 * max |a - b| / max |b|: the error relative to the scale of the whole map (network outputs, where
 * element-wise relative error is meaningless near zero). Infinity for different lengths or NaN.
 */
export function scaleRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return Number.isFinite(diff) ? diff / Math.max(scale, 1e-6) : Infinity;
}
