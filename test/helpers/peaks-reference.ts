// Plain-TypeScript reference for the decoders' building blocks (not the wasm ops): float32 sigmoid,
// the 3x3 (kernel x kernel) max-pool peak test with -infinity padding, and a full-sort top-K with
// DESIGN.md's tie rule (larger value first, then lower flat index). Slow and obvious on purpose.
import type { Tensor } from '../../runtime/ops/tensor.js';

export function sigmoidRef(t: Tensor): Tensor {
  return { data: t.data.map((v) => Math.fround(1 / (1 + Math.exp(-v)))), shape: [...t.shape] };
}

/** Peaks of an NHWC [1,H,W,C] probability map: k best of (value where it is its window's max, else 0). */
export function heatmapPeaksRef(heat: Tensor, k: number, kernel = 3) {
  const [, h, w, c] = heat.shape;
  const r = (kernel - 1) / 2;
  const kept = new Float32Array(heat.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        const v = heat.data[(y * w + x) * c + ch];
        let max = -Infinity;
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w) max = Math.max(max, heat.data[(yy * w + xx) * c + ch]);
          }
        }
        kept[(y * w + x) * c + ch] = v === max ? v : 0;
      }
    }
  }
  const top = topKRef(kept, k);
  return {
    scores: top.values,
    classes: Int32Array.from(top.indices, (i) => i % c),
    ys: Int32Array.from(top.indices, (i) => Math.floor(i / c / w)),
    xs: Int32Array.from(top.indices, (i) => Math.floor(i / c) % w),
  };
}

export function topKRef(values: Float32Array, k: number) {
  const order = Array.from(values.keys()).sort((a, b) => values[b] - values[a] || a - b).slice(0, k);
  return { values: Float32Array.from(order, (i) => values[i]), indices: Int32Array.from(order) };
}

/** NHWC [1,H,W,C] -> NCHW [1,C,H,W] copy. */
export function toNCHW(t: Tensor): Tensor {
  const [, h, w, c] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < h * w; i++) for (let ch = 0; ch < c; ch++) out[ch * h * w + i] = t.data[i * c + ch];
  return { data: out, shape: [1, c, h, w] };
}
