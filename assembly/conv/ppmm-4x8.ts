// GEMM micro-kernel over a pre-packed A tile, 4 rows x 8 output channels (XNNPACK f32-ppmm 4x8
// wasmsimd): c_r[0..nc) = act(bias + sum over k < kc of a[k][r] * panel[k]) for r < mr (1..4), where
// a holds the tile's 4 rows interleaved, [kc][4] floats (one 16-byte line a reduction step; rows past
// mr are padding), w is one packed panel (pack.ts) and c_r = c + r*cStride. One A stream instead of
// four: the deformable conv gathers its columns straight into this layout. Rows past mr alias the
// last real row (pointers and outputs) and rewrite identical values.
import { madd4 } from '../common/simd';
import { storeRow8 } from './store-row';

export function ppmm4x8(mr: i32, kc: i32, a: usize, w: usize, c: usize, cStride: usize, nc: i32, relu: i32): void {
  const c0 = c;
  const c1 = mr > 1 ? c0 + cStride : c0;
  const c2 = mr > 2 ? c1 + cStride : c1;
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
  // one reduction step per iteration, as gemm-4x8.ts (unrolling k was measured slower there)
  while (k > 0) {
    const b0 = v128.load(w);
    const b1 = v128.load(w, 16);
    let v = v128.load32_splat(a);
    acc00 = madd4(v, b0, acc00);
    acc01 = madd4(v, b1, acc01);
    v = v128.load32_splat(a, 4);
    acc10 = madd4(v, b0, acc10);
    acc11 = madd4(v, b1, acc11);
    v = v128.load32_splat(a, 8);
    acc20 = madd4(v, b0, acc20);
    acc21 = madd4(v, b1, acc21);
    v = v128.load32_splat(a, 12);
    acc30 = madd4(v, b0, acc30);
    acc31 = madd4(v, b1, acc31);
    a += 16;
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
