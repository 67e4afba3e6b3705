// out[i] = 1 / (1 + exp(-x[i])), n f32 elements; out may alias x. Computed as r = 1 / (1 + e) with
// e = exp(-|x|) in (0, 1], and sigmoid = r for x >= 0, e * r for x < 0: exp never overflows, so
// large |x| give 1 and tiny positive values (denormals, then 0) instead of NaN or 1/inf.
import { expV } from './exp';

export function sigmoidF32Scalar(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    const v = load<f32>(x + off);
    const e = Mathf.exp(-abs<f32>(v));
    const r = <f32>1 / (<f32>1 + e);
    store<f32>(out + off, v >= 0 ? r : e * r);
  }
}

// @ts-ignore: decorator
@inline
export function sigmoidV(v: v128): v128 {
  const e = expV(f32x4.neg(f32x4.abs(v)));
  const r = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(v, f32x4.splat(0)));
}

export function sigmoidF32(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    v128.store(out + off, sigmoidV(v128.load(x + off)));
  }
  if (i < n) {
    // the last 1-3 elements: go through a vector so they get exactly the SIMD arithmetic
    sigmoidF32Tail(x + (<usize>i << 2), out + (<usize>i << 2), n - i);
  }
}

function sigmoidF32Tail(x: usize, out: usize, n: i32): void {
  let v = f32x4.splat(0);
  if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(x));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(x + 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(x + 8));
  const y = sigmoidV(v);
  if (n > 0) store<f32>(out, f32x4.extract_lane(y, 0));
  if (n > 1) store<f32>(out + 4, f32x4.extract_lane(y, 1));
  if (n > 2) store<f32>(out + 8, f32x4.extract_lane(y, 2));
}
