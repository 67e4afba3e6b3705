// Conv2DBackpropFilter (groups = 1), SIMD: x [n, h, w, cin], dy [n, oh, ow, cout] -> dW [kh, kw, cin,
// cout], the same sums as conv2dBackpropFilterScalar. dW is a GEMM x-patches^T * dy reduced over
// pixels: tiles of 4 input channels x 8 output channels accumulate in registers over a chunk of
// output rows (kept small so that the chunk's x and dy rows stay in cache across all tiles), then
// 4 x 4, 4 x 1 for the channel tails, and single-channel rows for cin not a multiple of 4.
import { tile1x1, tile1x4, tile1x8, tile4x1, tile4x4, tile4x8 } from './backprop-filter-tiles';
import { zeroBytes } from './memory';

/** Output pixels per chunk of rows. */
const CHUNK_PIXELS: i32 = 256;

export function conv2dBackpropFilter(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  dy: usize, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  dW: usize,
): void {
  backpropFilterTaps(x, n, h, w, cin, dy, oh, ow, cout, kh, kw, sh, sw, padTop, padLeft, dh, dw, dW, false);
}

/**
 * conv2dBackpropFilter for horizontal dilation 1 with whole filter rows as taps (the weight gradient
 * of conv2d-igemm.ts' rows mode, for few input channels: the image stems): where an output pixel's filter
 * row lies inside the image it reads kw * cin consecutive floats, and dW[ky] (kw * cin rows of cout,
 * the [kx, c] order of dW) takes one accumulateTap over kw * cin channels, in place of kw taps of cin
 * (at cin 3, below the 4-channel register tile). The columns whose filter row reaches into the
 * left or right padding go tap by tap. The same sums, in another order.
 */
export function conv2dBackpropFilterRows(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  dy: usize, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32,
  dW: usize,
): void {
  backpropFilterTaps(x, n, h, w, cin, dy, oh, ow, cout, kh, kw, sh, sw, padTop, padLeft, dh, 1, dW, true);
}

/**
 * The loop of both: per chunk of output rows and filter row ky, the output columns [in0, in1) whose
 * whole filter row is inside the image as one tap of kw * cin channels (`rows`; dw 1), then each tap
 * kx over the columns it reads inside the image outside that range (all of them without `rows`).
 */
// @ts-ignore: decorator
@inline
function backpropFilterTaps(
  x: usize, n: i32, h: i32, w: i32, cin: i32, dy: usize, oh: i32, ow: i32, cout: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32, dW: usize, rows: bool,
): void {
  zeroBytes(dW, <usize>kh * kw * cin * cout * 4);
  const rowsPerChunk = max<i32>(1, CHUNK_PIXELS / max<i32>(ow, 1));
  const pixelBytes = <usize>cin << 2;
  const dyPixelBytes = <usize>cout << 2;
  const xRowStep = <usize>sh * w * pixelBytes;
  const xStep = <usize>sw * pixelBytes;
  const dyRowStep = <usize>ow * dyPixelBytes;
  // output columns [in0, in1) read a whole filter row inside the image: 0 <= ox*sw - padLeft <= w - kw
  const in0 = rows ? min<i32>(ow, firstInside(padLeft, sw)) : 0;
  const in1 = rows ? max<i32>(in0, min<i32>(ow, endInside(w - kw + padLeft, sw))) : 0;
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * w * pixelBytes;
    const grad = dy + <usize>b * oh * ow * dyPixelBytes;
    for (let oyA = 0; oyA < oh; oyA += rowsPerChunk) {
      const oyB = min<i32>(oh, oyA + rowsPerChunk);
      for (let ky = 0; ky < kh; ky++) {
        const r0 = max<i32>(oyA, firstInside(padTop - ky * dh, sh));
        const r1 = min<i32>(oyB, endInside(h - 1 + padTop - ky * dh, sh));
        if (r0 >= r1) continue;
        const iy = r0 * sh - padTop + ky * dh;
        const rowDW = dW + <usize>ky * kw * cin * dyPixelBytes;
        if (in0 < in1) tapRun(image, w, pixelBytes, iy, in0 * sw - padLeft, grad, ow, dyPixelBytes, r0, in0, xStep, xRowStep, dyRowStep, r1 - r0, in1 - in0, kw * cin, cout, rowDW);
        for (let kx = 0; kx < kw; kx++) {
          const c0 = max<i32>(0, firstInside(padLeft - kx * dw, sw));
          const c1 = min<i32>(ow, endInside(w - 1 + padLeft - kx * dw, sw));
          const dWt = rowDW + <usize>kx * cin * dyPixelBytes;
          // the columns this tap reads inside the image, left of in0 and right of in1
          const left1 = min<i32>(c1, in0);
          if (c0 < left1) tapRun(image, w, pixelBytes, iy, c0 * sw - padLeft + kx * dw, grad, ow, dyPixelBytes, r0, c0, xStep, xRowStep, dyRowStep, r1 - r0, left1 - c0, cin, cout, dWt);
          const right0 = max<i32>(c0, in1);
          if (right0 < c1) tapRun(image, w, pixelBytes, iy, right0 * sw - padLeft + kx * dw, grad, ow, dyPixelBytes, r0, right0, xStep, xRowStep, dyRowStep, r1 - r0, c1 - right0, cin, cout, dWt);
        }
      }
    }
  }
}

/** accumulateTap over the run of rows x count output pixels from (r0, c0), whose tap (of cin channels) reads input pixel (iy, ix) first. */
// @ts-ignore: decorator
@inline
function tapRun(
  image: usize, w: i32, pixelBytes: usize, iy: i32, ix: i32, grad: usize, ow: i32, dyPixelBytes: usize, r0: i32, c0: i32,
  xStep: usize, xRowStep: usize, dyRowStep: usize, rows: i32, count: i32, cin: i32, cout: i32, dWt: usize,
): void {
  const xs = image + (<usize>iy * w + ix) * pixelBytes;
  accumulateTap(xs, xStep, xRowStep, grad + (<usize>r0 * ow + c0) * dyPixelBytes, dyPixelBytes, dyRowStep, rows, count, cin, cout, dWt);
}

/** First output index o >= 0 with o*s >= num (num = pad - k*d): where the tap enters the input. */
// @ts-ignore: decorator
@inline
function firstInside(num: i32, s: i32): i32 {
  return num <= 0 ? 0 : (num + s - 1) / s;
}

/** One past the last output index o with o*s <= num (num = size - 1 + pad - k*d). */
// @ts-ignore: decorator
@inline
function endInside(num: i32, s: i32): i32 {
  return num < 0 ? 0 : num / s + 1;
}

/** Adds one tap's run of rows x count output pixels into dW[tap] (cin x cout). */
export function accumulateTap(
  x: usize, xStep: usize, xRowStep: usize, g: usize, gStep: usize, gRowStep: usize,
  rows: i32, count: i32, cin: i32, cout: i32, dWt: usize,
): void {
  const rowBytes = <usize>cout << 2;
  let ci = 0;
  for (; ci + 4 <= cin; ci += 4) {
    const xo = <usize>ci << 2;
    const dw = dWt + <usize>ci * rowBytes;
    let co = 0;
    for (; co + 8 <= cout; co += 8) {
      tile4x8(
        x + xo, xStep, xRowStep, g + (<usize>co << 2), gStep, gRowStep, rows, count, dw + (<usize>co << 2), rowBytes,
      );
    }
    for (; co + 4 <= cout; co += 4) {
      tile4x4(
        x + xo, xStep, xRowStep, g + (<usize>co << 2), gStep, gRowStep, rows, count, dw + (<usize>co << 2), rowBytes,
      );
    }
    for (; co < cout; co++) {
      tile4x1(
        x + xo, xStep, xRowStep, g + (<usize>co << 2), gStep, gRowStep, rows, count, dw + (<usize>co << 2), rowBytes,
      );
    }
  }
  for (; ci < cin; ci++) {
    const xo = <usize>ci << 2;
    const dw = dWt + <usize>ci * rowBytes;
    let co = 0;
    for (; co + 8 <= cout; co += 8) {
      tile1x8(
        x + xo, xStep, xRowStep, g + (<usize>co << 2), gStep, gRowStep, rows, count, dw + (<usize>co << 2),
      );
    }
    for (; co + 4 <= cout; co += 4) {
      tile1x4(
        x + xo, xStep, xRowStep, g + (<usize>co << 2), gStep, gRowStep, rows, count, dw + (<usize>co << 2),
      );
    }
    for (; co < cout; co++) {
      tile1x1(
        x + xo, xStep, xRowStep, g + (<usize>co << 2), gStep, gRowStep, rows, count, dw + (<usize>co << 2),
      );
    }
  }
}
