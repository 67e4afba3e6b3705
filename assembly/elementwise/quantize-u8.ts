// Byte activation codes for the c4 int8 convolution (relaxed-SIMD dot product): x [pixels, c] f32
// NHWC -> out [pixels, cs] u8, cs >= c (a multiple of 4; channels c..cs of every pixel set to 0):
//   code = clamp(nearest(x * invScale), 0, hi)        (hi = 127: the dot product's 7-bit operand)
// with quantize-i16.ts's rounding: halves to even, NaN -> 0, +-Infinity -> hi / 0; invScale as f32 bits.

export function quantizeU8Scalar(x: usize, pixels: i32, c: i32, cs: i32, invScaleBits: i32, hi: i32, out: usize): void {
  const invScale = reinterpret<f32>(invScaleBits);
  const fhi = <f32>hi;
  for (let p = 0; p < pixels; p++) {
    const src = x + ((<usize>p * c) << 2);
    const dst = out + <usize>p * cs;
    for (let i = 0; i < c; i++) {
      const r = nearest<f32>(load<f32>(src + (<usize>i << 2)) * invScale);
      const q: i32 = r != r || r <= 0 ? 0 : r >= fhi ? hi : <i32>r;
      store<u8>(dst + i, q);
    }
    for (let i = c; i < cs; i++) store<u8>(dst + i, 0);
  }
}

/** 4 lanes of codes as i32 (trunc_sat: NaN -> 0, infinities saturate; then the clamp). */
// @ts-ignore: decorator
@inline
function codes4(p: usize, inv: v128, vhi: v128): v128 {
  const q = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p), inv)));
  return i32x4.min_s(i32x4.max_s(q, i32x4.splat(0)), vhi);
}

export function quantizeU8(x: usize, pixels: i32, c: i32, cs: i32, invScaleBits: i32, hi: i32, out: usize): void {
  const invScale = reinterpret<f32>(invScaleBits);
  // a dense tensor (cs = c) is one long row
  if (c == cs) {
    c = pixels * c;
    cs = c;
    pixels = 1;
  }
  const inv = f32x4.splat(invScale);
  const vhi = i32x4.splat(hi);
  for (let p = 0; p < pixels; p++) {
    const src = x + ((<usize>p * c) << 2);
    const dst = out + <usize>p * cs;
    let i = 0;
    for (; i + 16 <= c; i += 16) {
      const s = src + (<usize>i << 2);
      const lo = i16x8.narrow_i32x4_s(codes4(s, inv, vhi), codes4(s + 16, inv, vhi));
      const hi8 = i16x8.narrow_i32x4_s(codes4(s + 32, inv, vhi), codes4(s + 48, inv, vhi));
      v128.store(dst + i, i8x16.narrow_i16x8_u(lo, hi8));
    }
    quantizeU8Scalar(src + (<usize>i << 2), 1, c - i, cs - i, invScaleBits, hi, dst + i);
  }
}
