// The kernel x kernel neighbourhood max of 4 channels, shared by the two peak kernels
// (peaks-simd.ts on probabilities, peaks-logits-simd.ts on logits and on their sigmoids): one copy
// of the loop in the module, which has a 15 KB gzipped budget. Called for candidate cells only. Out
// of line, it costs the probabilities kernel ~8% (0.91-0.96 -> 0.99-1.04 ms on the decode bench's
// heatmap); inlined twice, the module was ~30 bytes over its budget.
import { sigmoidV } from '../elementwise/sigmoid';

/** sigmoidV out of line: one copy of its body in this kernel (the module's size budget), called for candidates only. */
// @ts-ignore: decorator
@noinline
export function sigmoid4(v: v128): v128 {
  return sigmoidV(v);
}

/** The max over a kernel window (top-left `corner`, rows 0..dy, columns 0..dx) and `start`: of the values as they are, or of their sigmoids. One copy for both uses (the module's size budget). */
// @ts-ignore: decorator
@noinline
export function windowMax(start: v128, corner: usize, dy: i32, dx: i32, rowBytes: usize, pixelBytes: usize, sigmoidFirst: bool): v128 {
  let m = start;
  for (let yy = 0; yy <= dy; yy++) {
    let q = corner + <usize>yy * rowBytes;
    for (let xx = 0; xx <= dx; xx++) {
      const l = v128.load(q);
      m = f32x4.max(m, sigmoidFirst ? sigmoid4(l) : l);
      q += pixelBytes;
    }
  }
  return m;
}
