// Activation quantisation for the int8 convolution: x [pixels, c] f32 NHWC -> out [pixels, cs] i16
// codes, cs >= c (the int8 conv's even channel stride; channels c..cs of every pixel are set to 0):
//   code = clamp(nearest(x * invScale), lo, hi)
// nearest rounds half to even (f32.nearest / f32x4.nearest); NaN -> 0, +-Infinity -> hi / lo.
// lo..hi is 0..255 for a non-negative (post-ReLU) tensor and -127..127 otherwise (runtime/ops/conv-int8.ts).
// invScale travels as its f32 bit pattern in an i32 (the worker pool passes kernel arguments as i32).

export function quantizeI16Scalar(x: usize, pixels: i32, c: i32, cs: i32, invScaleBits: i32, lo: i32, hi: i32, out: usize): void {
  const invScale = reinterpret<f32>(invScaleBits);
  const flo = <f32>lo;
  const fhi = <f32>hi;
  for (let p = 0; p < pixels; p++) {
    const src = x + ((<usize>p * c) << 2);
    const dst = out + ((<usize>p * cs) << 1);
    for (let i = 0; i < c; i++) {
      const r = nearest<f32>(load<f32>(src + (<usize>i << 2)) * invScale);
      const q: i32 = r != r ? 0 : r <= flo ? lo : r >= fhi ? hi : <i32>r;
      store<i16>(dst + (<usize>i << 1), q);
    }
    for (let i = c; i < cs; i++) store<i16>(dst + (<usize>i << 1), 0);
  }
}

// @ts-ignore: decorator
@inline
function codes8(p: usize, inv: v128, vlo: v128, vhi: v128): v128 {
  // trunc_sat maps NaN to 0 and saturates infinities; the integer clamp then bounds every lane
  const a = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p), inv)));
  const b = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 16), inv)));
  return i16x8.narrow_i32x4_s(i32x4.min_s(i32x4.max_s(a, vlo), vhi), i32x4.min_s(i32x4.max_s(b, vlo), vhi));
}

export function quantizeI16(x: usize, pixels: i32, c: i32, cs: i32, invScaleBits: i32, lo: i32, hi: i32, out: usize): void {
  const invScale = reinterpret<f32>(invScaleBits);
  // a dense tensor (cs = c) is one long row
  if (c == cs) {
    c = pixels * c;
    cs = c;
    pixels = 1;
  }
  const inv = f32x4.splat(invScale);
  const vlo = i32x4.splat(lo);
  const vhi = i32x4.splat(hi);
  for (let p = 0; p < pixels; p++) {
    const src = x + ((<usize>p * c) << 2);
    const dst = out + ((<usize>p * cs) << 1);
    let i = 0;
    for (; i + 16 <= c; i += 16) {
      v128.store(dst + (<usize>i << 1), codes8(src + (<usize>i << 2), inv, vlo, vhi));
      v128.store(dst + (<usize>i << 1), codes8(src + (<usize>i << 2) + 32, inv, vlo, vhi), 16);
    }
    for (; i + 8 <= c; i += 8) v128.store(dst + (<usize>i << 1), codes8(src + (<usize>i << 2), inv, vlo, vhi));
    quantizeI16Scalar(src + (<usize>i << 2), 1, c - i, cs - i, invScaleBits, lo, hi, dst + (<usize>i << 1));
  }
}
