// Int8 convolution (groups 1, any kernel size, stride, padding, dilation) as an indirect GEMM over
// quantised activations, two layouts (int8-pack.ts):
//   c2: x [n, h, w, cs] i16 codes (0..255 or -127..127), cs = cin rounded up to even;
//   c4: x [n, h, w, cs] u7 byte codes (0..127), cs = cin rounded up to a multiple of 4;
// (channels cin..cs: their weights are zero; any i16 value in c2, 0 in c4, where a byte above 127
// would leave the relaxed dot product implementation-defined), packed panels ->
// out [n, oh, ow, cout] f32 = act(actScale * scale[c] * sum(x * w) + bias[c]). The same blocking and
// indirection as conv2d-igemm.ts, with rows of codes instead of f32. actScale travels as its f32
// bit pattern in an i32 (the worker pool passes kernel arguments as i32).
import { PANEL } from './pack';
import { int8PanelBytes } from './int8-pack';
import { int8Igemm4x8c2 } from './int8-igemm-4x8c2';
import { int8Igemm4x8c4 } from './int8-igemm-4x8c4';
import { zeroBytes } from './memory';
import { BLOCK_PIXELS, MR, indirectionBytes } from './tile';
import { buildIndirection } from './indirection';

/** Bytes of a 16-byte aligned zero row of one pixel's codes. */
// @ts-ignore: decorator
@inline
function zeroRowBytes(pixelBytes: usize): usize {
  return (pixelBytes + 15) & ~(<usize>15);
}

/** Scratch bytes of conv2dInt8Igemm (c2, codeBytes 2) or conv2dInt8IgemmC4 (codeBytes 1): zero row + one block's indirection buffer. */
export function conv2dInt8IgemmScratchBytes(cs: i32, ks: i32, codeBytes: i32): i32 {
  return <i32>(zeroRowBytes(<usize>cs * codeBytes) + indirectionBytes(ks));
}

/** The c2 layout: i16 codes, cs even. */
export function conv2dInt8Igemm(
  x: usize, n: i32, h: i32, w: i32, cs: i32,
  packed: usize, kh: i32, kw: i32, cout: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, actScaleBits: i32, relu: i32, out: usize, scratch: usize,
): void {
  conv2dInt8Driver(x, n, h, w, cs, false, packed, kh, kw, cout, sh, sw, padTop, padLeft, dh, dw, oh, ow, reinterpret<f32>(actScaleBits), relu, out, scratch, ow, 1, 1);
}

/** The c4 layout: u7 byte codes, cs a multiple of 4 (relaxed-SIMD dot product). */
export function conv2dInt8IgemmC4(
  x: usize, n: i32, h: i32, w: i32, cs: i32,
  packed: usize, kh: i32, kw: i32, cout: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, actScaleBits: i32, relu: i32, out: usize, scratch: usize,
): void {
  conv2dInt8Driver(x, n, h, w, cs, true, packed, kh, kw, cout, sh, sw, padTop, padLeft, dh, dw, oh, ow, reinterpret<f32>(actScaleBits), relu, out, scratch, ow, 1, 1);
}

/**
 * One output phase of an int8 transposed convolution (runtime/ops/conv-transpose-int8.ts), c2
 * layout (conv2dInt8IgemmPhaseC4: c4), one image: the phase is a stride-1 conv of x with the
 * phase's taps (packed flipped, as an ordinary HWIO filter of kh x kw), whose pixel (i, j) of the oh x ow phase grid is output pixel
 * (i * sy, j * sx) of an image outW pixels wide, counted from `out` (the phase's first pixel).
 * Each output pixel belongs to one phase, so the phases together write every pixel once.
 */
export function conv2dInt8IgemmPhase(
  x: usize, h: i32, w: i32, cs: i32,
  packed: usize, kh: i32, kw: i32, cout: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, actScaleBits: i32, relu: i32, out: usize, scratch: usize, outW: i32, sy: i32, sx: i32,
): void {
  conv2dInt8Driver(x, 1, h, w, cs, false, packed, kh, kw, cout, 1, 1, padTop, padLeft, 1, 1, oh, ow, reinterpret<f32>(actScaleBits), relu, out, scratch, outW, sy, sx);
}

/** conv2dInt8IgemmPhase in the c4 layout: u7 byte codes, cs a multiple of 4 (relaxed-SIMD dot product). */
export function conv2dInt8IgemmPhaseC4(
  x: usize, h: i32, w: i32, cs: i32,
  packed: usize, kh: i32, kw: i32, cout: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, actScaleBits: i32, relu: i32, out: usize, scratch: usize, outW: i32, sy: i32, sx: i32,
): void {
  conv2dInt8Driver(x, 1, h, w, cs, true, packed, kh, kw, cout, 1, 1, padTop, padLeft, 1, 1, oh, ow, reinterpret<f32>(actScaleBits), relu, out, scratch, outW, sy, sx);
}

/** Output pixel of grid pixel q (row-major, ow wide): (q / ow * sy, q % ow * sx) in an image outW wide. */
// @ts-ignore: decorator
@inline
function outPixel(q: i32, ow: i32, outW: i32, sy: i32, sx: i32): usize {
  const i = q / ow;
  return <usize>(i * sy) * outW + <usize>((q - i * ow) * sx);
}

// @ts-ignore: decorator
@inline
function conv2dInt8Driver(
  x: usize, n: i32, h: i32, w: i32, cs: i32, c4: bool,
  packed: usize, kh: i32, kw: i32, cout: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, actScale: f32, relu: i32, out: usize, scratch: usize,
  outW: i32, sy: i32, sx: i32,
): void {
  const pixelBytes = c4 ? <usize>cs : <usize>cs << 1;
  const steps = c4 ? cs >> 2 : cs >> 1;
  const ks = kh * kw;
  const panels = (cout + PANEL - 1) / PANEL;
  const panelBytes = int8PanelBytes(ks, steps);
  const zero = scratch;
  const ind = scratch + zeroRowBytes(pixelBytes);
  const tiles = BLOCK_PIXELS / MR;
  const cRows = ind + <usize>tiles * ks * MR * 4;
  const tileBytes = <usize>ks * MR * 4;
  const pixels = oh * ow;
  const outRow = <usize>cout << 2;
  zeroBytes(zero, zeroRowBytes(pixelBytes));
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * w * pixelBytes;
    const outImage = out + <usize>b * pixels * outRow;
    for (let p0 = 0; p0 < pixels; p0 += BLOCK_PIXELS) {
      const last = min<i32>(p0 + BLOCK_PIXELS, pixels) - 1;
      // output rows of the block's tiles (the last tile's extra rows repeat the last pixel)
      let row = cRows;
      for (let p = p0; p <= last; p += MR) {
        for (let r = 0; r < MR; r++) store<usize>(row + (<usize>r << 2), outImage + outPixel(min<i32>(p + r, last), ow, outW, sy, sx) * outRow);
        row += <usize>MR << 2;
      }
      buildIndirection(image, h, w, pixelBytes, kh, kw, sh, sw, padTop, padLeft, dh, dw, ow, p0, last, zero, ind);
      for (let j = 0; j < panels; j++) {
        const wp = packed + <usize>j * panelBytes;
        const nc = min<i32>(PANEL, cout - j * PANEL);
        const cOff = <usize>(j * PANEL) << 2;
        let tile = ind;
        row = cRows;
        for (let p = p0; p <= last; p += MR) {
          if (c4) int8Igemm4x8c4(steps, ks, tile, wp, row, cOff, nc, actScale, relu);
          else int8Igemm4x8c2(steps, ks, tile, wp, row, cOff, nc, actScale, relu);
          tile += tileBytes;
          row += <usize>MR << 2;
        }
      }
    }
  }
}
