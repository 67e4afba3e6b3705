// Any convolution (kernel size, stride, asymmetric padding, dilation, groups) as an indirect GEMM:
// x [n, h, w, cin] NHWC, packed panels (pack.ts, ks = kh*kw, kc = cin/groups) -> out [n, oh, ow, cout].
// Per block of output pixels an indirection buffer in scratch holds, for each 4-pixel tile and tap,
// the address of the input pixel's channels (or of a zero row where the tap falls in the padding):
// no im2col copy, and the micro-kernel never tests bounds.
import { igemm4x8 } from './igemm-4x8';
import { PANEL } from './pack';
import { BLOCK_PIXELS, zeroBytes, zeroRowBytes } from './block';

/** Scratch bytes conv2dIgemm needs: the zero row plus one block's indirection buffer. */
export function conv2dIgemmScratchBytes(kc: i32, ks: i32): i32 {
  return <i32>zeroRowBytes(kc) + (BLOCK_PIXELS / 4) * ks * 16;
}

export function conv2dIgemm(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  packed: usize, kh: i32, kw: i32, cout: i32, groups: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, relu: i32, out: usize, scratch: usize,
): void {
  const kc = cin / groups;
  const coutG = cout / groups;
  const ks = kh * kw;
  const panels = (coutG + PANEL - 1) / PANEL;
  const panelBytes = <usize>(PANEL + ks * kc * PANEL) << 2;
  const zero = scratch;
  const ind = scratch + zeroRowBytes(kc);
  const tileBytes = <usize>ks << 4;
  const pixels = oh * ow;
  const outRow = <usize>cout << 2;
  zeroBytes(zero, zeroRowBytes(kc));
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * w * cin * 4;
    const outImage = out + <usize>b * pixels * outRow;
    for (let p0 = 0; p0 < pixels; p0 += BLOCK_PIXELS) {
      const last = min<i32>(p0 + BLOCK_PIXELS, pixels) - 1;
      for (let g = 0; g < groups; g++) {
        buildIndirection(image, h, w, cin, g * kc, kh, kw, sh, sw, padTop, padLeft, dh, dw, ow, p0, last, zero, ind);
        for (let j = 0; j < panels; j++) {
          const wp = packed + <usize>(g * panels + j) * panelBytes;
          const nc = min<i32>(PANEL, coutG - j * PANEL);
          const outg = outImage + (<usize>(g * coutG + j * PANEL) << 2);
          let tile = ind;
          for (let p = p0; p <= last; p += 4) {
            igemm4x8(
              kc, ks, tile, wp,
              outg + <usize>p * outRow, outg + <usize>min<i32>(p + 1, last) * outRow,
              outg + <usize>min<i32>(p + 2, last) * outRow, outg + <usize>min<i32>(p + 3, last) * outRow,
              nc, relu,
            );
            tile += tileBytes;
          }
        }
      }
    }
  }
}

/** ind[tile][tap][row] = address of x[iy, ix, c0..] for output pixel p0 + 4*tile + row (clamped to last). */
function buildIndirection(
  image: usize, h: i32, w: i32, cin: i32, c0: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  ow: i32, p0: i32, last: i32, zero: usize, ind: usize,
): void {
  const pixelBytes = <usize>cin << 2;
  const base = image + (<usize>c0 << 2);
  let dst = ind;
  for (let p = p0; p <= last; p += 4) {
    for (let r = 0; r < 4; r++) {
      const q = min<i32>(p + r, last);
      const oy = q / ow;
      const ox = q - oy * ow;
      let slot = dst + (<usize>r << 2);
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - padTop + ky * dh;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - padLeft + kx * dw;
          const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
          store<usize>(slot, inside ? base + (<usize>iy * w + ix) * pixelBytes : zero);
          slot += 16;
        }
      }
    }
    dst += <usize>kh * kw * 16;
  }
}
