// Depthwise transposed convolution (groups == cin == cout: DLA-34's up-sampling), NHWC, vectorised
// over channels: x [n, h, w, c], packed [bias c | wts kh*kw*c] (packDepthwiseWeights of the
// [kh, kw, 1, c] weights) -> out [n, oh, ow, c], PyTorch ConvTranspose2d semantics, ReLU fused.
// Gathers: output (oy, ox) reads input (iy, ix) = ((oy + padTop - ky) / sh, (ox + padLeft - kx) / sw)
// for the taps where both divide exactly and land inside the input. 16 channels per step, then 4,
// then scalar channels. Other groupings run the scalar spec (conv2d-transpose-grouped-scalar.ts).
import { madd4 } from '../common/simd';

export function conv2dTransposeDepthwise(
  x: usize, n: i32, h: i32, w: i32, c: i32,
  packed: usize, kh: i32, kw: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, relu: i32, out: usize,
): void {
  const pixelBytes = <usize>c << 2;
  const rowBytes = <usize>w * pixelBytes;
  const wts = packed + pixelBytes;
  const zero = f32x4.splat(0); // ReLU as pmax(a, 0), as the depthwise forward kernel
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * rowBytes;
    for (let oy = 0; oy < oh; oy++) {
      // first tap row ky0 with (oy + padTop - ky0) divisible by sh; then every sh-th
      const ty = oy + padTop;
      const ky0 = ty % sh;
      for (let ox = 0; ox < ow; ox++) {
        const tx = ox + padLeft;
        const kx0 = tx % sw;
        const dst = out + ((<usize>(b * oh + oy) * ow + ox) * pixelBytes);
        let ch = 0;
        for (; ch + 16 <= c; ch += 16) {
          const o = <usize>ch << 2;
          let a0 = v128.load(packed + o);
          let a1 = v128.load(packed + o, 16);
          let a2 = v128.load(packed + o, 32);
          let a3 = v128.load(packed + o, 48);
          for (let ky = ky0; ky < kh; ky += sh) {
            const iy = (ty - ky) / sh;
            if (iy < 0) break;
            if (iy >= h) continue;
            for (let kx = kx0; kx < kw; kx += sw) {
              const ix = (tx - kx) / sw;
              if (ix < 0) break;
              if (ix >= w) continue;
              const px = image + <usize>iy * rowBytes + <usize>ix * pixelBytes + o;
              const wk = wts + <usize>(ky * kw + kx) * pixelBytes + o;
              a0 = madd4(v128.load(px), v128.load(wk), a0);
              a1 = madd4(v128.load(px, 16), v128.load(wk, 16), a1);
              a2 = madd4(v128.load(px, 32), v128.load(wk, 32), a2);
              a3 = madd4(v128.load(px, 48), v128.load(wk, 48), a3);
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
          for (let ky = ky0; ky < kh; ky += sh) {
            const iy = (ty - ky) / sh;
            if (iy < 0) break;
            if (iy >= h) continue;
            for (let kx = kx0; kx < kw; kx += sw) {
              const ix = (tx - kx) / sw;
              if (ix < 0) break;
              if (ix >= w) continue;
              a = madd4(v128.load(image + <usize>iy * rowBytes + <usize>ix * pixelBytes + o), v128.load(wts + <usize>(ky * kw + kx) * pixelBytes + o), a);
            }
          }
          if (relu) a = f32x4.pmax(a, zero);
          v128.store(dst + o, a);
        }
        for (; ch < c; ch++) {
          const o = <usize>ch << 2;
          let a = load<f32>(packed + o);
          for (let ky = ky0; ky < kh; ky += sh) {
            const iy = (ty - ky) / sh;
            if (iy < 0) break;
            if (iy >= h) continue;
            for (let kx = kx0; kx < kw; kx += sw) {
              const ix = (tx - kx) / sw;
              if (ix < 0) break;
              if (ix >= w) continue;
              a += load<f32>(image + <usize>iy * rowBytes + <usize>ix * pixelBytes + o) * load<f32>(wts + <usize>(ky * kw + kx) * pixelBytes + o);
            }
          }
          if (relu && a < 0) a = 0;
          store<f32>(dst + o, a);
        }
      }
    }
  }
}
