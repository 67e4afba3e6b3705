// Nearest-neighbour up-sampling by an integer factor, NHWC: x [n, h, w, c] -> out [n, h*f, w*f, c],
// out[b, y, x, :] = x[b, floor(y / f), floor(x / f), :]. out must not overlap x.
import { copyF32 } from './copy';

export function upsampleNearestNhwcScalar(x: usize, n: i32, h: i32, w: i32, c: i32, f: i32, out: usize): void {
  const oh = h * f;
  const ow = w * f;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const src = x + ((((<usize>b * h + oy / f) * w + ox / f) * c) << 2);
        const dst = out + ((((<usize>b * oh + oy) * ow + ox) * c) << 2);
        for (let ch = 0; ch < c; ch++) store<f32>(dst + (<usize>ch << 2), load<f32>(src + (<usize>ch << 2)));
      }
    }
  }
}

/** Builds the first of each group of f output rows pixel by pixel, then copies it f - 1 times. */
export function upsampleNearestNhwc(x: usize, n: i32, h: i32, w: i32, c: i32, f: i32, out: usize): void {
  const pixelBytes = <usize>c << 2;
  const rowBytes = <usize>w * f * pixelBytes;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const srcRow = x + (<usize>b * h + y) * w * pixelBytes;
      const dstRow = out + (<usize>b * h + y) * f * rowBytes;
      let dst = dstRow;
      for (let ix = 0; ix < w; ix++) {
        const src = srcRow + <usize>ix * pixelBytes;
        for (let j = 0; j < f; j++) {
          copyPixel(src, dst, c);
          dst += pixelBytes;
        }
      }
      for (let i = 1; i < f; i++) copyF32(dstRow + <usize>i * rowBytes, dstRow, w * f * c);
    }
  }
}

// @ts-ignore: decorator
@inline
function copyPixel(src: usize, dst: usize, c: i32): void {
  let ch = 0;
  for (; ch + 4 <= c; ch += 4) v128.store(dst + (<usize>ch << 2), v128.load(src + (<usize>ch << 2)));
  for (; ch < c; ch++) store<f32>(dst + (<usize>ch << 2), load<f32>(src + (<usize>ch << 2)));
}
