// DepthwiseConv2dNativeBackpropInput (channel multiplier 1), SIMD over channels: dy [n, oh, ow, c],
// w [kh, kw, c, 1] -> dx [n, h, wd, c], the sums of depthwiseBackpropInputScalar with mult = 1.
// Scatter form: dx is zeroed, then each (output row, tap) adds dy[row] * w[tap] into the dx row the
// tap reads from, over the run of output columns whose tap lands inside the input; 16 channels
// per step, then 4, then scalar channels.
import { madd4 } from '../common/simd';
import { zeroBytes } from './memory';
import { tapColumnsEnd, tapColumnsStart } from './tap-columns';

export function depthwiseBackpropInput(
  dy: usize, n: i32, oh: i32, ow: i32, c: i32,
  w: usize, kh: i32, kw: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  h: i32, wd: i32, dx: usize,
): void {
  const pixelBytes = <usize>c << 2;
  zeroBytes(dx, <usize>n * h * wd * pixelBytes);
  for (let b = 0; b < n; b++) {
    const image = dx + <usize>b * h * wd * pixelBytes;
    const grad = dy + <usize>b * oh * ow * pixelBytes;
    for (let oy = 0; oy < oh; oy++) {
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - padTop + ky * dh;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          // output columns whose tap kx lands inside the row: ox in [ox0, ox1)
          const ox0 = tapColumnsStart(padLeft, kx, dw, sw);
          const ox1 = tapColumnsEnd(wd, padLeft, kx, dw, sw, ow);
          if (ox0 >= ox1) continue;
          const xs = image + (<usize>iy * wd + (ox0 * sw - padLeft + kx * dw)) * pixelBytes;
          const gs = grad + (<usize>oy * ow + ox0) * pixelBytes;
          const xStep = <usize>sw * pixelBytes;
          const wt = w + <usize>(ky * kw + kx) * pixelBytes;
          const count = ox1 - ox0;
          let ch = 0;
          for (; ch + 16 <= c; ch += 16) {
            const o = <usize>ch << 2;
            const w0 = v128.load(wt + o);
            const w1 = v128.load(wt + o, 16);
            const w2 = v128.load(wt + o, 32);
            const w3 = v128.load(wt + o, 48);
            let xp = xs + o;
            let gp = gs + o;
            for (let i = 0; i < count; i++) {
              v128.store(xp, madd4(v128.load(gp), w0, v128.load(xp)));
              v128.store(xp, madd4(v128.load(gp, 16), w1, v128.load(xp, 16)), 16);
              v128.store(xp, madd4(v128.load(gp, 32), w2, v128.load(xp, 32)), 32);
              v128.store(xp, madd4(v128.load(gp, 48), w3, v128.load(xp, 48)), 48);
              xp += xStep;
              gp += pixelBytes;
            }
          }
          for (; ch + 4 <= c; ch += 4) {
            const o = <usize>ch << 2;
            const wv = v128.load(wt + o);
            let xp = xs + o;
            let gp = gs + o;
            for (let i = 0; i < count; i++) {
              v128.store(xp, madd4(v128.load(gp), wv, v128.load(xp)));
              xp += xStep;
              gp += pixelBytes;
            }
          }
          for (; ch < c; ch++) {
            const o = <usize>ch << 2;
            const wv = load<f32>(wt + o);
            let xp = xs + o;
            let gp = gs + o;
            for (let i = 0; i < count; i++) {
              store<f32>(xp, load<f32>(xp) + load<f32>(gp) * wv);
              xp += xStep;
              gp += pixelBytes;
            }
          }
        }
      }
    }
  }
}
