// Depthwise Conv2DBackpropFilter (groups == cin == cout), SIMD over channels: x [n, h, w, c], dy
// [n, oh, ow, c] -> dW [kh, kw, 1, c], dW[ky, kx, 0, ch] = sum over b, oy, ox of
// x[b, oy*sh - padTop + ky*dh, ox*sw - padLeft + kx*dw, ch] * dy[b, oy, ox, ch] (spec:
// conv2dBackpropFilterScalar with groups = c). 16 channels per step, then 4, then scalar channels.
import { madd4 } from '../common/simd';
import { zeroBytes } from './memory';
import { tapColumnsEnd, tapColumnsStart } from './tap-columns';

export function depthwiseBackpropFilter(
  x: usize, n: i32, h: i32, w: i32, c: i32,
  dy: usize, oh: i32, ow: i32,
  kh: i32, kw: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  dW: usize,
): void {
  const pixelBytes = <usize>c << 2;
  zeroBytes(dW, <usize>kh * kw * pixelBytes);
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * w * pixelBytes;
    const grad = dy + <usize>b * oh * ow * pixelBytes;
    for (let oy = 0; oy < oh; oy++) {
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - padTop + ky * dh;
        if (iy < 0 || iy >= h) continue;
        for (let kx = 0; kx < kw; kx++) {
          // output columns whose tap kx lands inside the row: ox in [ox0, ox1)
          const ox0 = tapColumnsStart(padLeft, kx, dw, sw);
          const ox1 = tapColumnsEnd(w, padLeft, kx, dw, sw, ow);
          if (ox0 >= ox1) continue;
          const xs = image + (<usize>iy * w + (ox0 * sw - padLeft + kx * dw)) * pixelBytes;
          const gs = grad + (<usize>oy * ow + ox0) * pixelBytes;
          const xStep = <usize>sw * pixelBytes;
          const dWt = dW + <usize>(ky * kw + kx) * pixelBytes;
          const count = ox1 - ox0;
          let ch = 0;
          for (; ch + 16 <= c; ch += 16) {
            const o = <usize>ch << 2;
            let a0 = v128.load(dWt + o);
            let a1 = v128.load(dWt + o, 16);
            let a2 = v128.load(dWt + o, 32);
            let a3 = v128.load(dWt + o, 48);
            let xp = xs + o;
            let gp = gs + o;
            for (let i = 0; i < count; i++) {
              a0 = madd4(v128.load(xp), v128.load(gp), a0);
              a1 = madd4(v128.load(xp, 16), v128.load(gp, 16), a1);
              a2 = madd4(v128.load(xp, 32), v128.load(gp, 32), a2);
              a3 = madd4(v128.load(xp, 48), v128.load(gp, 48), a3);
              xp += xStep;
              gp += pixelBytes;
            }
            v128.store(dWt + o, a0);
            v128.store(dWt + o, a1, 16);
            v128.store(dWt + o, a2, 32);
            v128.store(dWt + o, a3, 48);
          }
          for (; ch + 4 <= c; ch += 4) {
            const o = <usize>ch << 2;
            let a = v128.load(dWt + o);
            let xp = xs + o;
            let gp = gs + o;
            for (let i = 0; i < count; i++) {
              a = madd4(v128.load(xp), v128.load(gp), a);
              xp += xStep;
              gp += pixelBytes;
            }
            v128.store(dWt + o, a);
          }
          for (; ch < c; ch++) {
            const o = <usize>ch << 2;
            let a = load<f32>(dWt + o);
            let xp = xs + o;
            let gp = gs + o;
            for (let i = 0; i < count; i++) {
              a += load<f32>(xp) * load<f32>(gp);
              xp += xStep;
              gp += pixelBytes;
            }
            store<f32>(dWt + o, a);
          }
        }
      }
    }
  }
}
