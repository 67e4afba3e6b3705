// The indirect GEMM of conv2d-igemm.ts with whole filter rows as its taps, for convs with few input
// channels (image stems: cin 3, 7x7 stride 2). With dilation 1 horizontally, the kw taps of a filter
// row read kw consecutive pixels: kw * cin consecutive floats of an input row. Each filter row is
// then one tap of kw * cin channels, kh taps instead of kh * kw, on the same packed panels (pack.ts
// orders a panel tap-major, channel-minor: (ky * kw + kx) * cin + c = ky * (kw * cin) + (kx * cin + c)).
// At cin 3 building the indirection for 49 taps and a micro-kernel pass of 3 reduction steps per tap
// cost about as much as the multiply-adds; here they are 7 taps of 21 steps.
// Where a filter row reaches into the left or right padding, its kw * cin floats are copied into a
// patch in scratch with zeros for the padding (at most one patch per pixel and tap of a block, so
// the scratch does not depend on the image size); rows in the top or bottom padding read the zero row.
//   x [n, h, w, cin] NHWC, groups 1, horizontal dilation 1 -> out [n, oh, ow, cout].
import { PANEL } from './pack';
import { BLOCK_PIXELS, MR, indirectionBytes, zeroRowBytes } from './tile';
import { blockOutputRows, blockPanels } from './conv2d-igemm';
import { zeroBytes } from './memory';

/** Scratch bytes of conv2dIgemmRows: the zero row (kw*cin floats), one block's indirection buffer, its patches. */
export function conv2dIgemmRowsScratchBytes(cin: i32, kh: i32, kw: i32): i32 {
  return <i32>(zeroRowBytes(kw * cin) + indirectionBytes(kh) + ((<usize>BLOCK_PIXELS * kh * kw * cin) << 2));
}

export function conv2dIgemmRows(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  packed: usize, kh: i32, kw: i32, cout: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32,
  oh: i32, ow: i32, relu: i32, out: usize, scratch: usize,
): void {
  const kc = kw * cin;
  const panels = (cout + PANEL - 1) / PANEL;
  const panelBytes = <usize>(PANEL + kh * kc * PANEL) << 2;
  const zero = scratch;
  const ind = scratch + zeroRowBytes(kc);
  const cRows = ind + <usize>(BLOCK_PIXELS / MR) * kh * MR * 4;
  const patches = ind + indirectionBytes(kh);
  const pixels = oh * ow;
  const outRow = <usize>cout << 2;
  zeroBytes(zero, zeroRowBytes(kc));
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * w * cin * 4;
    const outImage = out + <usize>b * pixels * outRow;
    for (let p0 = 0; p0 < pixels; p0 += BLOCK_PIXELS) {
      const last = min<i32>(p0 + BLOCK_PIXELS, pixels) - 1;
      blockOutputRows(cRows, outImage, outRow, p0, last);
      buildRowIndirection(image, h, w, cin, kh, kw, sh, sw, padTop, padLeft, dh, ow, p0, last, zero, ind, patches);
      blockPanels(kc, kh, ind, packed, panels, panelBytes, cout, 0, cRows, p0, last, relu);
    }
  }
}

/**
 * ind[tile][ky][row] = the address of the kw * cin floats filter row ky of output pixel
 * p0 + MR*tile + row (clamped to last) reads: inside the image, the input itself; in the top or
 * bottom padding, the zero row; reaching into the left or right padding, a patch made in `patches`.
 */
function buildRowIndirection(
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
