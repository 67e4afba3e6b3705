// Indirect GEMM micro-kernel, 4 output pixels x 8 output channels (XNNPACK f32-igemm 4x8 wasmsimd
// loadsplat): c_r[0..nc) = act(bias + sum over ks taps, kc channels of a_r,tap[k] * panel[tap*kc + k])
// where ind holds ks groups of 4 row pointers (an input pixel's channels, or a zero row where the
// tap falls in the padding), w is one packed panel (pack.ts) and c_r = cRows[r] + cOff. Reads kc
// floats per pointer, writes nc <= 8 floats per row. 8 accumulators + 2 weight vectors + 1 splat
// (+ 1 temporary for the SIMD128 build's separate multiply) fit x64's 15 allocatable xmm registers;
// see tile.ts on wider tiles.
import { madd4 } from '../common/simd';
import { storeRow8 } from './store-row';

export function igemm4x8(kc: i32, ks: i32, ind: usize, w: usize, cRows: usize, cOff: usize, nc: i32, relu: i32): void {
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
  storeRow8(load<usize>(cRows, 12) + cOff, nc, acc30, acc31);
  storeRow8(load<usize>(cRows, 8) + cOff, nc, acc20, acc21);
  storeRow8(load<usize>(cRows, 4) + cOff, nc, acc10, acc11);
  storeRow8(load<usize>(cRows) + cOff, nc, acc00, acc01);
}
