// GEMM micro-kernel, 4 rows x 8 output channels (XNNPACK f32-gemm 4x8 wasmsimd loadsplat), the 1x1
// convolution fast path: c_r[0..nc) = act(bias + sum over k < kc of a_r[k] * panel[k]), a_r = kc
// contiguous floats per row (a pixel's channels), w one packed panel (pack.ts). Rows past the tile's
// end alias earlier rows (pointers and outputs) and rewrite identical values.
import { madd4 } from '../common/simd';
import { storeRows4x8 } from './igemm-4x8';

export function gemm4x8(
  kc: i32, a0: usize, a1: usize, a2: usize, a3: usize, w: usize,
  c0: usize, c1: usize, c2: usize, c3: usize, nc: i32, relu: i32,
): void {
  let acc00 = v128.load(w);
  let acc01 = v128.load(w, 16);
  let acc10 = acc00;
  let acc11 = acc01;
  let acc20 = acc00;
  let acc21 = acc01;
  let acc30 = acc00;
  let acc31 = acc01;
  w += 32;
  let k = kc;
  // One reduction step per iteration: 4 rows x 8 channels = 8 independent madd4 (the unrolled
  // register tile). Unrolling k as well was measured slower: Binaryen re-nests each accumulator's
  // chain across the unrolled steps, V8 then keeps every step's loads live and spills (46 vs 62 GFLOP/s).
  while (k > 0) {
    const b0 = v128.load(w);
    const b1 = v128.load(w, 16);
    let v = v128.load32_splat(a0);
    acc00 = madd4(v, b0, acc00);
    acc01 = madd4(v, b1, acc01);
    v = v128.load32_splat(a1);
    acc10 = madd4(v, b0, acc10);
    acc11 = madd4(v, b1, acc11);
    v = v128.load32_splat(a2);
    acc20 = madd4(v, b0, acc20);
    acc21 = madd4(v, b1, acc21);
    v = v128.load32_splat(a3);
    acc30 = madd4(v, b0, acc30);
    acc31 = madd4(v, b1, acc31);
    a0 += 4;
    a1 += 4;
    a2 += 4;
    a3 += 4;
    w += 32;
    k -= 1;
  }
  if (relu) {
    const zero = f32x4.splat(0);
    acc00 = f32x4.max(acc00, zero);
    acc01 = f32x4.max(acc01, zero);
    acc10 = f32x4.max(acc10, zero);
    acc11 = f32x4.max(acc11, zero);
    acc20 = f32x4.max(acc20, zero);
    acc21 = f32x4.max(acc21, zero);
    acc30 = f32x4.max(acc30, zero);
    acc31 = f32x4.max(acc31, zero);
  }
  storeRows4x8(c0, c1, c2, c3, nc, acc00, acc01, acc10, acc11, acc20, acc21, acc30, acc31);
}
