// Depthwise convolution (groups == cin == cout), NHWC, vectorised over channels: x [n, h, w, c],
// packed [bias c | wts kh*kw*c] (pack.ts) -> out [n, oh, ow, c]; stride, padding (taps in the padding
// are skipped), dilation, ReLU fused. 16 channels per step, then 4, then scalar channels.
import { madd4 } from '../common/simd';

export function depthwiseConv2d(
  x: usize, n: i32, h: i32, w: i32, c: i32,
  packed: usize, kh: i32, kw: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, relu: i32, out: usize,
): void {
  const pixelBytes = <usize>c << 2;
  const rowBytes = <usize>w * pixelBytes;
  const wts = packed + pixelBytes;
  const tapStep = <usize>dw * pixelBytes;
  const zero = f32x4.splat(0); // ReLU as pmax(a, 0) = a < 0 ? 0 : a: NaN and -0 pass through, as in the spec
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * rowBytes;
    for (let oy = 0; oy < oh; oy++) {
      // taps inside the image along y: ky in [ky0, ky1)
      const iy0 = oy * sh - padTop;
      let ky0 = 0;
      while (ky0 < kh && iy0 + ky0 * dh < 0) ky0++;
      let ky1 = kh;
      while (ky1 > ky0 && iy0 + (ky1 - 1) * dh >= h) ky1--;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padLeft;
        let kx0 = 0;
        while (kx0 < kw && ix0 + kx0 * dw < 0) kx0++;
        let kx1 = kw;
        while (kx1 > kx0 && ix0 + (kx1 - 1) * dw >= w) kx1--;
        const dst = out + ((<usize>(b * oh + oy) * ow + ox) * pixelBytes);
        // input pixel of tap (0, kx0); iy0 may be negative, and u32 wrap-around makes
        // first + ky*dh*rowBytes exact for every valid ky (only those are read)
        const first = image + <usize>iy0 * rowBytes + <usize>(ix0 + kx0 * dw) * pixelBytes;
        let ch = 0;
        for (; ch + 16 <= c; ch += 16) {
          const o = <usize>ch << 2;
          let a0 = v128.load(packed + o);
          let a1 = v128.load(packed + o, 16);
          let a2 = v128.load(packed + o, 32);
          let a3 = v128.load(packed + o, 48);
          for (let ky = ky0; ky < ky1; ky++) {
            let px = first + <usize>(ky * dh) * rowBytes + o;
            let wk = wts + <usize>(ky * kw + kx0) * pixelBytes + o;
            for (let kx = kx0; kx < kx1; kx++) {
              a0 = madd4(v128.load(px), v128.load(wk), a0);
              a1 = madd4(v128.load(px, 16), v128.load(wk, 16), a1);
              a2 = madd4(v128.load(px, 32), v128.load(wk, 32), a2);
              a3 = madd4(v128.load(px, 48), v128.load(wk, 48), a3);
              px += tapStep;
              wk += pixelBytes;
            }
          }
          if (relu) {
            a0 = f32x4.pmax(a0, zero);
            a1 = f32x4.pmax(a1, zero);
            a2 = f32x4.pmax(a2, zero);
            a3 = f32x4.pmax(a3, zero);
          }
          v128.store(dst + o, a0);
          v128.store(dst + o, a1, 16);
          v128.store(dst + o, a2, 32);
          v128.store(dst + o, a3, 48);
        }
        for (; ch + 4 <= c; ch += 4) {
          const o = <usize>ch << 2;
          let a = v128.load(packed + o);
          for (let ky = ky0; ky < ky1; ky++) {
            let px = first + <usize>(ky * dh) * rowBytes + o;
            let wk = wts + <usize>(ky * kw + kx0) * pixelBytes + o;
            for (let kx = kx0; kx < kx1; kx++) {
              a = madd4(v128.load(px), v128.load(wk), a);
              px += tapStep;
              wk += pixelBytes;
            }
          }
          if (relu) a = f32x4.pmax(a, zero);
          v128.store(dst + o, a);
        }
        for (; ch < c; ch++) {
          const o = <usize>ch << 2;
          let a = load<f32>(packed + o);
          for (let ky = ky0; ky < ky1; ky++) {
            const row = image + <usize>(iy0 + ky * dh) * rowBytes + o;
            for (let kx = kx0; kx < kx1; kx++) {
              a += load<f32>(row + <usize>(ix0 + kx * dw) * pixelBytes) * load<f32>(wts + <usize>(ky * kw + kx) * pixelBytes + o);
            }
          }
          if (relu && a < 0) a = 0;
          store<f32>(dst + o, a);
        }
      }
    }
  }
}
