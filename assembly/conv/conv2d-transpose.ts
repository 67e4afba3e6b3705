// Transposed convolution (PyTorch ConvTranspose2d semantics, see conv2d-transpose-scalar.ts) as one
// indirect GEMM per output phase: x [n, h, w, cin], packed (pack.ts packDeconvWeights) -> out
// [n, oh, ow, cout]. Output pixels with (oy + padTop) mod sh = qy and (ox + padLeft) mod sw = qx
// receive exactly the taps ky = qy + ty*sh, kx = qx + tx*sw from input pixel
// iy = (oy + padTop - qy)/sh - ty, ix likewise, so each phase is a dense stride-1 GEMM: no zero
// multiply for the holes a scatter formulation would fill.
import { PANEL, phaseTaps } from './pack';
import { zeroBytes } from './memory';
import { BLOCK_PIXELS, MR, igemmTile, indirectionBytes, zeroRowBytes } from './tile';

/** Scratch bytes conv2dTransposeIgemm needs: the zero row plus one block's indirection buffer. */
export function conv2dTransposeScratchBytes(kh: i32, kw: i32, sh: i32, sw: i32, cin: i32): i32 {
  const ks = phaseTaps(0, kh, sh) * phaseTaps(0, kw, sw);
  return <i32>(zeroRowBytes(cin) + indirectionBytes(ks));
}

export function conv2dTransposeIgemm(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  packed: usize, kh: i32, kw: i32, cout: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, relu: i32, out: usize, scratch: usize,
): void {
  const zero = scratch;
  const ind = scratch + zeroRowBytes(cin);
  const tiles = BLOCK_PIXELS / MR;
  const panels = (cout + PANEL - 1) / PANEL;
  const outRow = <usize>cout << 2;
  zeroBytes(zero, zeroRowBytes(cin));
  let wPhase = packed;
  for (let qy = 0; qy < sh; qy++) {
    for (let qx = 0; qx < sw; qx++) {
      const tY = phaseTaps(qy, kh, sh);
      const tX = phaseTaps(qx, kw, sw);
      const ks = tY * tX;
      const panelBytes = <usize>(PANEL + ks * cin * PANEL) << 2;
      // first output row/column of this phase, and how many there are
      const oy0 = ((qy - padTop) % sh + sh) % sh;
      const ox0 = ((qx - padLeft) % sw + sw) % sw;
      const ny = oy0 < oh ? (oh - oy0 + sh - 1) / sh : 0;
      const nx = ox0 < ow ? (ow - ox0 + sw - 1) / sw : 0;
      const pixels = ny * nx;
      for (let b = 0; b < n; b++) {
        const image = x + <usize>b * h * w * cin * 4;
        const outImage = out + <usize>b * oh * ow * outRow;
        for (let p0 = 0; p0 < pixels; p0 += BLOCK_PIXELS) {
          const last = min<i32>(p0 + BLOCK_PIXELS, pixels) - 1;
          buildPhaseIndirection(image, h, w, cin, tY, tX, sh, sw, padTop, padLeft, qy, qx, oy0, ox0, nx, p0, last, zero, ind);
          // output rows of the block's tiles (the last tile's extra rows repeat the last pixel)
          const cRows = ind + <usize>tiles * ks * MR * 4;
          let row = cRows;
          for (let p = p0; p <= last; p += MR) {
            for (let r = 0; r < MR; r++) {
              store<usize>(row + (<usize>r << 2), outImage + phasePixel(min<i32>(p + r, last), nx, oy0, ox0, sh, sw, ow) * outRow);
            }
            row += <usize>MR << 2;
          }
          for (let j = 0; j < panels; j++) {
            const wp = wPhase + <usize>j * panelBytes;
            const nc = min<i32>(PANEL, cout - j * PANEL);
            const cOff = <usize>(j * PANEL) << 2;
            let tile = ind;
            row = cRows;
            for (let p = p0; p <= last; p += MR) {
              igemmTile(cin, ks, tile, wp, row, cOff, nc, relu);
              tile += <usize>ks * MR * 4;
              row += <usize>MR << 2;
            }
          }
        }
      }
      wPhase += <usize>panels * panelBytes;
    }
  }
}

/** Flat output pixel index of the phase's p-th pixel (row-major over its ny x nx grid). */
// @ts-ignore: decorator
@inline
function phasePixel(p: i32, nx: i32, oy0: i32, ox0: i32, sh: i32, sw: i32, ow: i32): usize {
  const i = p / nx;
  const j = p - i * nx;
  return <usize>(oy0 + i * sh) * ow + <usize>(ox0 + j * sw);
}

/** ind[tile][tap][row]: input pixel address for each tap of the phase, or the zero row outside x. */
function buildPhaseIndirection(
  image: usize, h: i32, w: i32, cin: i32, tY: i32, tX: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, qy: i32, qx: i32, oy0: i32, ox0: i32,
  nx: i32, p0: i32, last: i32, zero: usize, ind: usize,
): void {
  const pixelBytes = <usize>cin << 2;
  const tapBytes = <usize>MR << 2;
  let dst = ind;
  for (let p = p0; p <= last; p += MR) {
    for (let r = 0; r < MR; r++) {
      const q = min<i32>(p + r, last);
      const i = q / nx;
      const j = q - i * nx;
      // (oy + padTop - qy) is a non-negative multiple of sh for every output row of the phase
      const by = (oy0 + i * sh + padTop - qy) / sh;
      const bx = (ox0 + j * sw + padLeft - qx) / sw;
      let slot = dst + (<usize>r << 2);
      for (let ty = 0; ty < tY; ty++) {
        const iy = by - ty;
        for (let tx = 0; tx < tX; tx++) {
          const ix = bx - tx;
          const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
          store<usize>(slot, inside ? image + (<usize>iy * w + ix) * pixelBytes : zero);
          slot += tapBytes;
        }
      }
    }
    dst += <usize>tY * tX * tapBytes;
  }
}
