// The indirection buffer of the implicit-GEMM convs (f32 conv2d-igemm.ts, int8 conv2d-int8-igemm.ts):
// for each output pixel of a block, the address of each tap's input pixel, or of the zero row
// where the tap falls in the padding. One source for both modules. buildRowIndirection: the same
// with whole filter rows as taps (conv2d-igemm.ts' `rows` mode).
import { MR } from './tile';

/**
 * ind[tile][tap][row] = address of pixel (iy, ix) (image + (iy * w + ix) * pixelBytes) for output
 * pixel p0 + MR*tile + row (clamped to last), or `zero` outside the image.
 */
export function buildIndirection(
  image: usize, h: i32, w: i32, pixelBytes: usize, kh: i32, kw: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  ow: i32, p0: i32, last: i32, zero: usize, ind: usize,
): void {
  const tapBytes = <usize>MR << 2;
  let dst = ind;
  for (let p = p0; p <= last; p += MR) {
    for (let r = 0; r < MR; r++) {
      const q = min<i32>(p + r, last);
      const oy = q / ow;
      const ox = q - oy * ow;
      let slot = dst + (<usize>r << 2);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - padTop + ky * dh;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - padLeft + kx * dw;
          const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
          store<usize>(slot, inside ? image + (<usize>iy * w + ix) * pixelBytes : zero);
          slot += tapBytes;
        }
      }
    }
    dst += <usize>kh * kw * tapBytes;
  }
}

/**
 * ind[tile][ky][row] = the address of the kw * cin floats filter row ky of output pixel
 * p0 + MR*tile + row (clamped to last) reads: inside the image, the input itself; in the top or
 * bottom padding, the zero row; reaching into the left or right padding, a patch made in `patches`.
 */
export function buildRowIndirection(
  image: usize, h: i32, w: i32, cin: i32, kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32,
  ow: i32, p0: i32, last: i32, zero: usize, ind: usize, patches: usize,
): void {
  const tapBytes = <usize>MR << 2;
  const pixelBytes = <usize>cin << 2;
  let patch = patches;
  let dst = ind;
  for (let p = p0; p <= last; p += MR) {
    for (let r = 0; r < MR; r++) {
      const q = min<i32>(p + r, last);
      const oy = q / ow;
      const ox = q - oy * ow;
      const ix0 = ox * sw - padLeft;
      const whole = ix0 >= 0 && ix0 + kw <= w;
      let slot = dst + (<usize>r << 2);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - padTop + ky * dh;
        let at = zero;
        if (iy >= 0 && iy < h) {
          const rowStart = image + <usize>iy * w * pixelBytes;
          if (whole) {
            at = rowStart + <usize>ix0 * pixelBytes;
          } else {
            at = patch;
            // per-tap loops rather than memory.ts' zeroBytes + copyBytes of the inside run: those
            // inline here into ~60 more gzipped bytes, against the .wasm's 15 KB budget (issue 9)
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx;
              const to = patch + <usize>kx * pixelBytes;
              if (ix >= 0 && ix < w) {
                const from = rowStart + <usize>ix * pixelBytes;
                for (let c: usize = 0; c < pixelBytes; c += 4) store<f32>(to + c, load<f32>(from + c));
              } else {
                for (let c: usize = 0; c < pixelBytes; c += 4) store<f32>(to + c, 0);
              }
            }
            patch += <usize>kw * pixelBytes;
          }
        }
        store<usize>(slot, at);
        slot += tapBytes;
      }
    }
    dst += <usize>kh * tapBytes;
  }
}
