// GEMM micro-kernel, 4 rows x 8 output channels (XNNPACK f32-gemm 4x8 wasmsimd loadsplat), the
// 1x1-convolution fast path. Rows r < mr (1..4): c_r[0..nc) = act(bias + sum over k < kc of
// a_r[k] * panel[k]) with a_r = a + r*aStride (kc contiguous floats: a pixel's channels),
// c_r = c + r*cStride and w one packed panel (pack.ts). Rows past mr alias the last real row
// (pointers and outputs) and rewrite identical values. 8 accumulators + 2 weight vectors + 1 splat
// (+ 1 temporary for the SIMD128 build's separate multiply) fit x64's 15 allocatable xmm registers;
// see tile.ts on wider tiles.
import { madd4 } from '../common/simd';
import { storeRow8 } from './store-row';

export function gemm4x8(mr: i32, kc: i32, a: usize, aStride: usize, w: usize, c: usize, cStride: usize, nc: i32, relu: i32): void {
  let a0 = a;
  const c0 = c;
  let a1 = mr > 1 ? a0 + aStride : a0;
  const c1 = mr > 1 ? c0 + cStride : c0;
  let a2 = mr > 2 ? a1 + aStride : a1;
  const c2 = mr > 2 ? c1 + cStride : c1;
  let a3 = mr > 3 ? a2 + aStride : a2;
  const c3 = mr > 3 ? c2 + cStride : c2;
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
  // One reduction step per iteration: 4 rows x 8 channels = 8 independent madd4 (the
  // unrolled register tile). Unrolling k as well was measured slower: Binaryen re-nests each
  // accumulator's chain across the unrolled steps and V8 then keeps every step's loads live and
  // spills (4x8: 46 vs 62 GFLOP/s).
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
    // pmax(acc, 0) = acc < 0 ? 0 : acc, the spec's ReLU (NaN and -0 pass through) in one maxps
    const zero = f32x4.splat(0);
    acc00 = f32x4.pmax(acc00, zero);
    acc01 = f32x4.pmax(acc01, zero);
    acc10 = f32x4.pmax(acc10, zero);
    acc11 = f32x4.pmax(acc11, zero);
    acc20 = f32x4.pmax(acc20, zero);
    acc21 = f32x4.pmax(acc21, zero);
    acc30 = f32x4.pmax(acc30, zero);
    acc31 = f32x4.pmax(acc31, zero);
  }
  // last row first: rows past the tile's end alias earlier rows and hold the same values
  storeRow8(c3, nc, acc30, acc31);
  storeRow8(c2, nc, acc20, acc21);
  storeRow8(c1, nc, acc10, acc11);
  storeRow8(c0, nc, acc00, acc01);
}
