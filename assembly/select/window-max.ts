// The kernel x kernel neighbourhood max of 4 channels, shared by the two peak kernels
// (peaks-simd.ts on probabilities, peaks-logits-simd.ts on logits and on their sigmoids), called for
// candidate cells only. Inlined at its three call sites (the sigmoidFirst branch folds away at each),
// which costs the module 14-19 bytes gzipped of its 15 KB budget. It was kept out of line while that
// budget was full, before the scalar specs left the module (2026-12-05). Inlining made the decode
// bench 3-6% faster from logits and 2-11% faster from probabilities (Node 20, four interleaved runs,
// e.g. 1.17 -> 1.10 ms and 0.90 -> 0.83 ms).
import { sigmoidV } from '../elementwise/sigmoid';

/** sigmoidV out of line: one copy of its body in this kernel (the module's size budget), called for candidates only. */
// @ts-ignore: decorator
@noinline
export function sigmoid4(v: v128): v128 {
  return sigmoidV(v);
}

/** The max over a kernel window (top-left `corner`, rows 0..dy, columns 0..dx) and `start`: of the values as they are, or of their sigmoids. */
// @ts-ignore: decorator
@inline
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
