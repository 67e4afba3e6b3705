// The machine's single-thread f32x4 multiply-add peak as this build sees it, for the conv benchmark:
// a GEMM-shaped loop whose accumulators stay in registers and whose operands are 64 bytes of static
// data (always in L1; loaded each iteration so that no compiler can hoist the multiplies). The shape
// is each build's best: the SIMD128 build (mul + add, one temporary register per multiply) fits 8
// accumulators in x64's 15 allocatable xmm registers without spilling; the relaxed build (fused,
// 4-cycle latency at 2 per cycle) needs 12 independent chains to stay throughput-bound.
// Returns a value that depends on every accumulator; flops = iters * simdPeakFlopsPerIter().
import { IS_RELAXED, madd4 } from '../common/simd';

const X = memory.data<f32>([1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3, 8e-3, 0.5, 0.25, 0.125, 0.0625, 0.5, 0.25, 0.125, 0.0625], 16);

/** Flops per iteration of simdPeakLoop: accumulators x 4 lanes x 2. */
export function simdPeakFlopsPerIter(): i32 {
  return IS_RELAXED ? 12 * 8 : 8 * 8;
}

export function simdPeakLoop(iters: i32): f32 {
  let a0 = f32x4.splat(0);
  let a1 = a0;
  let a2 = a0;
  let a3 = a0;
  let a4 = a0;
  let a5 = a0;
  let a6 = a0;
  let a7 = a0;
  let a8 = a0;
  let a9 = a0;
  let a10 = a0;
  let a11 = a0;
  if (IS_RELAXED) {
    for (let i = 0; i < iters; i++) {
      const b0 = v128.load(X);
      const b1 = v128.load(X, 16);
      let v = v128.load32_splat(X, 32);
      a0 = madd4(v, b0, a0);
      a1 = madd4(v, b1, a1);
      v = v128.load32_splat(X, 36);
      a2 = madd4(v, b0, a2);
      a3 = madd4(v, b1, a3);
      v = v128.load32_splat(X, 40);
      a4 = madd4(v, b0, a4);
      a5 = madd4(v, b1, a5);
      v = v128.load32_splat(X, 44);
      a6 = madd4(v, b0, a6);
      a7 = madd4(v, b1, a7);
      v = v128.load32_splat(X, 48);
      a8 = madd4(v, b0, a8);
      a9 = madd4(v, b1, a9);
      v = v128.load32_splat(X, 52);
      a10 = madd4(v, b0, a10);
      a11 = madd4(v, b1, a11);
    }
  } else {
    for (let i = 0; i < iters; i++) {
      const b0 = v128.load(X);
      const b1 = v128.load(X, 16);
      let v = v128.load32_splat(X, 32);
      a0 = madd4(v, b0, a0);
      a1 = madd4(v, b1, a1);
      v = v128.load32_splat(X, 36);
      a2 = madd4(v, b0, a2);
      a3 = madd4(v, b1, a3);
      v = v128.load32_splat(X, 40);
      a4 = madd4(v, b0, a4);
      a5 = madd4(v, b1, a5);
      v = v128.load32_splat(X, 44);
      a6 = madd4(v, b0, a6);
      a7 = madd4(v, b1, a7);
    }
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  const t = f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)));
  return f32x4.extract_lane(t, 0);
}
