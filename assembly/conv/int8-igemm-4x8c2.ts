// Int8 indirect GEMM micro-kernel, 4 output pixels x 8 output channels, 2 input channels per step
// (the "c2" layout of int8-pack.ts), SIMD128 i32x4.dot_i16x8_s on both builds:
//   acc_r[c] = sum over ks taps, kp channel pairs of a_r,tap[2p] * w[2p][c] + a_r,tap[2p+1] * w[2p+1][c]
//   c_r[c]   = act(f32(acc_r[c]) * (actScale * scale[c]) + bias[c])        (c < nc <= 8)
// where ind holds ks groups of 4 pointers to i16 activation rows (codes, 2*kp of them, or a zero
// row in the padding). Integer accumulation is exact (no overflow while ks * 2kp * 255 * 127 < 2^31,
// checked by the caller), so the result is bit-identical to the scalar spec conv2d-int8-scalar.ts,
// whose epilogue performs the same f32 operations in the same order.
// Registers: 8 i32x4 accumulators + 2 weight vectors + 1 splat + 1 product, as igemm-4x8.
import { PANEL } from './pack';
import { int8Epilogue4x8 } from './int8-epilogue';

export function int8Igemm4x8c2(kp: i32, ks: i32, ind: usize, w: usize, cRows: usize, cOff: usize, nc: i32, actScale: f32, relu: i32): void {
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
    let k = kp;
    while (k > 0) {
      const b0 = v128.load(w);
      const b1 = v128.load(w, 16);
      let v = v128.load32_splat(a0);
      acc00 = i32x4.add(acc00, i32x4.dot_i16x8_s(v, b0));
      acc01 = i32x4.add(acc01, i32x4.dot_i16x8_s(v, b1));
      v = v128.load32_splat(a1);
      acc10 = i32x4.add(acc10, i32x4.dot_i16x8_s(v, b0));
      acc11 = i32x4.add(acc11, i32x4.dot_i16x8_s(v, b1));
      v = v128.load32_splat(a2);
      acc20 = i32x4.add(acc20, i32x4.dot_i16x8_s(v, b0));
      acc21 = i32x4.add(acc21, i32x4.dot_i16x8_s(v, b1));
      v = v128.load32_splat(a3);
      acc30 = i32x4.add(acc30, i32x4.dot_i16x8_s(v, b0));
      acc31 = i32x4.add(acc31, i32x4.dot_i16x8_s(v, b1));
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
