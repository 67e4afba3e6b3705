// Per-channel affine y = x * scale[c] + shift[c] (+ ReLU), NHWC: x [pixels, c] -> out [pixels, c];
// stand-alone batch norm at inference with scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
// out may alias x. The SIMD version uses madd4 (fused in the relaxed build, so it may differ from
// the scalar spec by one rounding).
import { madd4 } from '../common/simd';

export function affineChannelsNhwcScalar(x: usize, pixels: i32, c: i32, scale: usize, shift: usize, relu: i32, out: usize): void {
  for (let p = 0; p < pixels; p++) {
    const base = (<usize>p * c) << 2;
    for (let ch = 0; ch < c; ch++) {
      const o = <usize>ch << 2;
      let v = load<f32>(x + base + o) * load<f32>(scale + o) + load<f32>(shift + o);
      if (relu && v < 0) v = 0;
      store<f32>(out + base + o, v);
    }
  }
}

export function affineChannelsNhwc(x: usize, pixels: i32, c: i32, scale: usize, shift: usize, relu: i32, out: usize): void {
  const zero = f32x4.splat(0);
  for (let p = 0; p < pixels; p++) {
    const base = (<usize>p * c) << 2;
    let ch = 0;
    for (; ch + 4 <= c; ch += 4) {
      const o = <usize>ch << 2;
      let v = madd4(v128.load(x + base + o), v128.load(scale + o), v128.load(shift + o));
      if (relu) v = v128.bitselect(zero, v, f32x4.lt(v, zero));
      v128.store(out + base + o, v);
    }
    for (; ch < c; ch++) {
      const o = <usize>ch << 2;
      let v = load<f32>(x + base + o) * load<f32>(scale + o) + load<f32>(shift + o);
      if (relu && v < 0) v = 0;
      store<f32>(out + base + o, v);
    }
  }
}
