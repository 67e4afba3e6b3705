// Indirect GEMM micro-kernel, 4 output pixels x 8 output channels (XNNPACK f32-igemm 4x8 wasmsimd
// loadsplat): c_r[0..nc) = act(bias + sum over ks taps, kc channels of a_r,tap[k] * panel[tap*kc+k]).
// ind: ks groups of 4 row pointers (a byte pointer per pixel and tap, or a zero row for padding);
// w: one packed panel (pack.ts); rows past the tile's end alias row 0..2 (pointers and outputs),
// so they recompute and rewrite identical values. Reads kc floats per pointer, writes nc <= 8 floats per row.
import { madd4 } from '../common/simd';

export function igemm4x8(
  kc: i32, ks: i32, ind: usize, w: usize,
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
  for (let t = 0; t < ks; t++) {
    let a0 = load<usize>(ind);
    let a1 = load<usize>(ind, 4);
    let a2 = load<usize>(ind, 8);
    let a3 = load<usize>(ind, 12);
    ind += 16;
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

/** Writes the first nc (1..8) channels of four 8-wide rows: whole vectors, then 4 lanes, then scalars. */
// @ts-ignore: decorator
@inline
export function storeRows4x8(
  c0: usize, c1: usize, c2: usize, c3: usize, nc: i32,
  acc00: v128, acc01: v128, acc10: v128, acc11: v128, acc20: v128, acc21: v128, acc30: v128, acc31: v128,
): void {
  if (nc == 8) {
    // rows 3..0 so that aliased rows end with row 0's (identical) values
    v128.store(c3, acc30);
    v128.store(c3, acc31, 16);
    v128.store(c2, acc20);
    v128.store(c2, acc21, 16);
    v128.store(c1, acc10);
    v128.store(c1, acc11, 16);
    v128.store(c0, acc00);
    v128.store(c0, acc01, 16);
    return;
  }
  if (nc >= 4) {
    v128.store(c3, acc30);
    v128.store(c2, acc20);
    v128.store(c1, acc10);
    v128.store(c0, acc00);
    acc30 = acc31;
    acc20 = acc21;
    acc10 = acc11;
    acc00 = acc01;
    c3 += 16;
    c2 += 16;
    c1 += 16;
    c0 += 16;
    nc -= 4;
  }
  if (nc >= 2) {
    v128.store64_lane(c3, acc30, 0);
    v128.store64_lane(c2, acc20, 0);
    v128.store64_lane(c1, acc10, 0);
    v128.store64_lane(c0, acc00, 0);
    acc30 = v128.shuffle<f32>(acc30, acc30, 2, 3, 2, 3);
    acc20 = v128.shuffle<f32>(acc20, acc20, 2, 3, 2, 3);
    acc10 = v128.shuffle<f32>(acc10, acc10, 2, 3, 2, 3);
    acc00 = v128.shuffle<f32>(acc00, acc00, 2, 3, 2, 3);
    c3 += 8;
    c2 += 8;
    c1 += 8;
    c0 += 8;
    nc -= 2;
  }
  if (nc >= 1) {
    store<f32>(c3, f32x4.extract_lane(acc30, 0));
    store<f32>(c2, f32x4.extract_lane(acc20, 0));
    store<f32>(c1, f32x4.extract_lane(acc10, 0));
    store<f32>(c0, f32x4.extract_lane(acc00, 0));
  }
}
