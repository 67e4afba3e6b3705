// out[i] = max(x[i], 0), n f32 elements; out may alias x (in-place ReLU). NaN stays NaN, -0 stays -0
// in both versions (a compare-and-select, not a max, so that the two agree on every input).

export function reluF32Scalar(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    const v = load<f32>(x + off);
    store<f32>(out + off, v < 0 ? <f32>0 : v);
  }
}

export function reluF32(x: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    const q = out + (<usize>i << 2);
    const a = v128.load(p);
    const b = v128.load(p, 16);
    const c = v128.load(p, 32);
    const d = v128.load(p, 48);
    v128.store(q, v128.bitselect(zero, a, f32x4.lt(a, zero)));
    v128.store(q, v128.bitselect(zero, b, f32x4.lt(b, zero)), 16);
    v128.store(q, v128.bitselect(zero, c, f32x4.lt(c, zero)), 32);
    v128.store(q, v128.bitselect(zero, d, f32x4.lt(d, zero)), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const off = <usize>i << 2;
    const a = v128.load(x + off);
    v128.store(out + off, v128.bitselect(zero, a, f32x4.lt(a, zero)));
  }
  reluF32Scalar(x + (<usize>i << 2), out + (<usize>i << 2), n - i);
}
