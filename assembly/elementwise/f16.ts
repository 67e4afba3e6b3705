// IEEE half -> single precision, n values (u16 bits at src -> f32 at out), exact for every input:
// the model files' F16 weights decoded at load. In wasm because a cold load runs this once, before
// the JavaScript JIT has warmed up (the JS loop took ~15 ms for the default model's 0.9M weights).
// The method is the "magic multiply" conversion: the 15 exponent-and-mantissa bits shifted into an
// f32, the exponent rebased by 127 - 15; infinities and NaN rebased again to the f32 maximum;
// zeros and subnormals made normal by one more exponent step, then the implicit one subtracted
// exactly as a float (m * 2^-24 is representable). The spec is runtime/weights/f16.ts (f16BitsToF32).

const EXP_MASK: u32 = 0x7c00 << 13;
const REBASE: u32 = (127 - 15) << 23;
const SUBNORMAL_ONE: u32 = 113 << 23;

// @ts-ignore: decorator
@inline
function decode1(h: u32): u32 {
  let o = (h & 0x7fff) << 13;
  const e = o & EXP_MASK;
  o += REBASE;
  if (e == EXP_MASK) o += REBASE;
  else if (e == 0) o = reinterpret<u32>(reinterpret<f32>(o + (1 << 23)) - reinterpret<f32>(SUBNORMAL_ONE));
  return o | ((h & 0x8000) << 16);
}

// @ts-ignore: decorator
@inline
function decode4(h: v128): v128 {
  let o = i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13);
  const e = v128.and(o, i32x4.splat(EXP_MASK));
  o = i32x4.add(o, i32x4.splat(REBASE));
  o = i32x4.add(o, v128.and(i32x4.eq(e, i32x4.splat(EXP_MASK)), i32x4.splat(REBASE)));
  const sub = f32x4.sub(i32x4.add(o, i32x4.splat(1 << 23)), i32x4.splat(SUBNORMAL_ONE));
  o = v128.bitselect(sub, o, i32x4.eq(e, i32x4.splat(0)));
  return v128.or(o, i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16));
}

/**
 * Decodes n halves; returns 1 if any of the first n - n % 8 (the whole 8-half steps) is an infinity
 * or NaN (an all-ones exponent), else 0: the check of an F16 file's weights, made where the packers
 * decode them in kernel memory rather than in a JavaScript loop over the file at load (~6 ms of a
 * cold start for the default model's 0.9M weights, the loop still unwarmed). The caller checks the
 * last n % 8 and finds the index with the spec, firstNonFiniteHalf: a flag for the SIMD steps alone
 * keeps the module within its 15 KB gzipped budget.
 */
export function decodeF16(src: usize, n: i32, out: usize): i32 {
  const exponent = i16x8.splat(0x7c00);
  let bad = i16x8.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    bad = v128.or(bad, i16x8.eq(v128.and(h, exponent), exponent));
    const q = out + (<usize>i << 2);
    v128.store(q, decode4(i32x4.extend_low_i16x8_u(h)));
    v128.store(q, decode4(i32x4.extend_high_i16x8_u(h)), 16);
  }
  for (; i < n; i++) store<u32>(out + (<usize>i << 2), decode1(<u32>load<u16>(src + (<usize>i << 1))));
  return i32(v128.any_true(bad));
}
