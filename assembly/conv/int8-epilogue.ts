// Epilogue of the int8 micro-kernels (4 rows x 8 channels of i32 sums): the spec's
// f32(acc) * (actScale * scale[c]) + bias[c], as a separate multiply and add (never fused: both
// builds must round as conv2d-int8-scalar.ts does), optional ReLU, then the row stores. head is the
// panel's scale[8] | bias[8].
import { storeRow8 } from './store-row';

// @ts-ignore: decorator
@inline
export function int8Epilogue4x8(
  head: usize, actScale: f32, relu: i32, cRows: usize, cOff: usize, nc: i32,
  acc00: v128, acc01: v128, acc10: v128, acc11: v128, acc20: v128, acc21: v128, acc30: v128, acc31: v128,
): void {
  const sa = f32x4.splat(actScale);
  const s0 = f32x4.mul(sa, v128.load(head));
  const s1 = f32x4.mul(sa, v128.load(head, 16));
  const bias0 = v128.load(head, 32);
  const bias1 = v128.load(head, 48);
  let o00 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc00), s0), bias0);
  let o01 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc01), s1), bias1);
  let o10 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc10), s0), bias0);
  let o11 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc11), s1), bias1);
  let o20 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc20), s0), bias0);
  let o21 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc21), s1), bias1);
  let o30 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc30), s0), bias0);
  let o31 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(acc31), s1), bias1);
  if (relu) {
    // pmax(o, 0) = o < 0 ? 0 : o, the spec's ReLU
    const zero = f32x4.splat(0);
    o00 = f32x4.pmax(o00, zero);
    o01 = f32x4.pmax(o01, zero);
    o10 = f32x4.pmax(o10, zero);
    o11 = f32x4.pmax(o11, zero);
    o20 = f32x4.pmax(o20, zero);
    o21 = f32x4.pmax(o21, zero);
    o30 = f32x4.pmax(o30, zero);
    o31 = f32x4.pmax(o31, zero);
  }
  // last row first: rows past the tile's end alias earlier rows and hold the same values
  storeRow8(load<usize>(cRows, 12) + cOff, nc, o30, o31);
  storeRow8(load<usize>(cRows, 8) + cOff, nc, o20, o21);
  storeRow8(load<usize>(cRows, 4) + cOff, nc, o10, o11);
  storeRow8(load<usize>(cRows) + cOff, nc, o00, o01);
}
