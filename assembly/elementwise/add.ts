// out[i] = a[i] + b[i] (optionally ReLU), n f32 elements; out may alias a or b.
import { madd4 } from '../common/simd';

export function addF32Scalar(a: usize, b: usize, out: usize, n: i32, relu: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    let v = load<f32>(a + off) + load<f32>(b + off);
    if (relu && v < 0) v = 0;
    store<f32>(out + off, v);
  }
}

export function addF32(a: usize, b: usize, out: usize, n: i32, relu: i32): void {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    let v = madd4(v128.load(a + off), one, v128.load(b + off));
    if (relu) v = f32x4.max(v, zero);
    v128.store(out + off, v);
  }
  addF32Scalar(a + (<usize>i << 2), b + (<usize>i << 2), out + (<usize>i << 2), n - i, relu);
}
