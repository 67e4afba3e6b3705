// Int8 indirect GEMM micro-kernel over byte activations, 4 output pixels x 8 output channels, 4 input
// channels per step (the "c4" layout of int8-pack.ts):
//   acc_r[c] = sum over ks taps, kq channel quads, i < 4 of a_r,tap[4q + i] * w[4q + i][c]
//   c_r[c]   = act(f32(acc_r[c]) * (actScale * scale[c]) + bias[c])        (c < nc <= 8)
// Activations are u7 codes (0..127, bytes), weights int8 (-127..127). The relaxed build runs one
// i32x4.relaxed_dot_i8x16_i7x16_add_s per 4 channels x 4 reduction steps; its result is
// deterministic because the i7 operand (the activations) stays in 0..127 and no pair of products
// (at most 2 * 127 * 127 = 32258) saturates an i16. The SIMD128 build computes the same integers
// with dot_i16x8_s (exact, slower: the layout pays only on the relaxed build). The epilogue is
// int8-igemm-4x8c2.ts's, bit for bit the spec's (conv2d-int8-scalar.ts).
import { IS_RELAXED } from '../common/simd';
import { PANEL } from './pack';
import { int8Epilogue4x8 } from './int8-epilogue';

/** acc + per 32-bit lane j: sum over i < 4 of w[4j + i] * a[4j + i] (w int8, a 0..127). */
// @ts-ignore: decorator
@inline
function dot4Add(w: v128, a: v128, acc: v128): v128 {
  if (IS_RELAXED) {
    return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, a, acc);
  } else {
    const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), i16x8.extend_low_i8x16_u(a));
    const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w), i16x8.extend_high_i8x16_u(a));
    return i32x4.add(acc, i32x4.add(v128.shuffle<i32>(lo, hi, 0, 2, 4, 6), v128.shuffle<i32>(lo, hi, 1, 3, 5, 7)));
  }
}

export function int8Igemm4x8c4(kq: i32, ks: i32, ind: usize, w: usize, cRows: usize, cOff: usize, nc: i32, actScale: f32, relu: i32): void {
  const head = w;
  let acc00 = i32x4.splat(0);
  let acc01 = acc00;
  let acc10 = acc00;
  let acc11 = acc00;
  let acc20 = acc00;
  let acc21 = acc00;
  let acc30 = acc00;
  let acc31 = acc00;
  w += <usize>(2 * PANEL) << 2;
  for (let t = 0; t < ks; t++) {
    let a0 = load<usize>(ind);
    let a1 = load<usize>(ind, 4);
    let a2 = load<usize>(ind, 8);
    let a3 = load<usize>(ind, 12);
    ind += 16;
    let k = kq;
    while (k > 0) {
      const b0 = v128.load(w);
      const b1 = v128.load(w, 16);
      let v = v128.load32_splat(a0);
      acc00 = dot4Add(b0, v, acc00);
      acc01 = dot4Add(b1, v, acc01);
      v = v128.load32_splat(a1);
      acc10 = dot4Add(b0, v, acc10);
      acc11 = dot4Add(b1, v, acc11);
      v = v128.load32_splat(a2);
      acc20 = dot4Add(b0, v, acc20);
      acc21 = dot4Add(b1, v, acc21);
      v = v128.load32_splat(a3);
      acc30 = dot4Add(b0, v, acc30);
      acc31 = dot4Add(b1, v, acc31);
      a0 += 4;
      a1 += 4;
      a2 += 4;
      a3 += 4;
      w += 32;
      k -= 1;
    }
  }
  int8Epilogue4x8(head, actScale, relu, cRows, cOff, nc, acc00, acc01, acc10, acc11, acc20, acc21, acc30, acc31);
}
