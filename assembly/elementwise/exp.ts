// exp(x) for f32: a 4-lane polynomial (Cephes expf, ~1 ulp, denormal results included) used by
// sigmoid and Gaussian soft-NMS, with a scalar twin that performs the same operations in the same
// order, so a SIMD kernel and its scalar spec that both use it agree bit for bit.
// Kernels: out[i] = exp(x[i]), n f32 elements; expF32Scalar (the spec) uses the standard library's
// Mathf.exp (compiled in, no imports). out may alias x.

const LOG2E: f32 = 1.44269504088896341;
// ln 2 split in two so that n * LN2_HI is exact for |n| <= 2^9 (Cody-Waite range reduction).
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;
/** Above this exp overflows f32; below MIN_X it rounds to 0 even as a denormal. */
const MAX_X: f32 = 88.72283905206835;
const MIN_X: f32 = -103.97208;
/** 1.5 * 2^23: adding it rounds |v| < 2^22 to an integer held in the low mantissa bits. */
const ROUND: f32 = 12582912;
const ROUND_BITS: i32 = 0x4b400000;

/** exp of four lanes; NaN -> NaN, +inf -> +inf, -inf -> 0, exp(0) == 1 exactly. */
// @ts-ignore: decorator
@inline
export function expV(x: v128): v128 {
  // pmax/pmin return their first operand unless the second is strictly beyond it, so NaN stays NaN
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(MIN_X)), f32x4.splat(MAX_X));
  // round x * log2(e) to the nearest integer by adding 1.5 * 2^23: the integer lands in the low
  // mantissa bits, so n comes out of the bits without a float-to-int conversion
  const t = f32x4.add(f32x4.mul(xc, f32x4.splat(LOG2E)), f32x4.splat(ROUND));
  const fn = f32x4.sub(t, f32x4.splat(ROUND));
  let r = f32x4.sub(xc, f32x4.mul(fn, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fn, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(P0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P5));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // 2^n as two factors 2^(n>>1) * 2^(n - (n>>1)): each is a normal float for n in [-150, 128],
  // so large results do not overflow early and tiny ones round once, into the denormals.
  const n = i32x4.sub(t, i32x4.splat(ROUND_BITS));
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  let out = f32x4.mul(f32x4.mul(y, s1), s2);
  out = v128.bitselect(f32x4.splat(Infinity), out, f32x4.gt(x, f32x4.splat(MAX_X)));
  out = v128.bitselect(f32x4.splat(0), out, f32x4.lt(x, f32x4.splat(MIN_X)));
  return out;
}

/** The same operations as expV on one value. */
// @ts-ignore: decorator
@inline
export function expS(x: f32): f32 {
  const xc = min<f32>(max<f32>(x, MIN_X), MAX_X);
  const t = xc * LOG2E + ROUND;
  const fn = t - ROUND;
  let r = xc - fn * LN2_HI;
  r = r - fn * LN2_LO;
  let p = P0;
  p = p * r + P1;
  p = p * r + P2;
  p = p * r + P3;
  p = p * r + P4;
  p = p * r + P5;
  const y = p * r * r + r + <f32>1;
  const n = reinterpret<i32>(t) - ROUND_BITS;
  const n1 = n >> 1;
  const n2 = n - n1;
  const s1 = reinterpret<f32>((n1 + 127) << 23);
  const s2 = reinterpret<f32>((n2 + 127) << 23);
  let out = y * s1 * s2;
  if (x > MAX_X) out = <f32>Infinity;
  if (x < MIN_X) out = 0;
  return out;
}

export function expF32Scalar(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, Mathf.exp(load<f32>(x + off)));
  }
}

export function expF32(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(out + off, expV(v128.load(x + off)));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(out + off, expS(load<f32>(x + off)));
  }
}
