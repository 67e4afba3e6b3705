// Any convolution (kernel size, stride, asymmetric padding, dilation, groups) as an indirect GEMM:
// x [n, h, w, cin] NHWC, packed panels (pack.ts, ks = kh*kw, kc = cin/groups) -> out [n, oh, ow, cout].
// Per block of output pixels an indirection buffer in scratch holds, for each MR-pixel tile and tap,
// the address of the input pixel's channels (or of a zero row where the tap falls in the padding):
// no im2col copy, and the micro-kernel never tests bounds.
// `rows` (groups 1, horizontal dilation 1; for few input channels, e.g. image stems at cin 3): whole
// filter rows as taps. The kw taps of a filter row read kw consecutive pixels, kw * cin consecutive
// floats of an input row, so each filter row is one tap of kw * cin channels, kh taps instead of
// kh * kw, on the same packed panels (pack.ts orders a panel tap-major, channel-minor:
// (ky * kw + kx) * cin + c = ky * (kw * cin) + (kx * cin + c)). At cin 3, building the indirection
// for 49 taps and a micro-kernel pass of 3 reduction steps per tap cost about as much as the
// multiply-adds; this way they are 7 taps of 21 steps. A filter row reaching into the left or right
// padding is copied into a patch with zeros for the padding (at most one per pixel and filter row
// of a block, so the scratch does not depend on the image size).
import { PANEL } from './pack';
import { zeroBytes } from './memory';
import { BLOCK_PIXELS, MR, igemmTile, indirectionBytes, zeroRowBytes } from './tile';
import { buildIndirection, buildRowIndirection } from './indirection';

/**
 * Scratch bytes conv2dIgemm needs for ks taps of kc channels: the zero row plus one block's
 * indirection buffer, and with `rows` (kc = kw * cin, ks = kh) the block's patches.
 */
export function conv2dIgemmScratchBytes(kc: i32, ks: i32, rows: i32): i32 {
  return <i32>(zeroRowBytes(kc) + indirectionBytes(ks) + (rows ? (<usize>BLOCK_PIXELS * ks * kc) << 2 : 0));
}

export function conv2dIgemm(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  packed: usize, kh: i32, kw: i32, cout: i32, groups: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, relu: i32, out: usize, scratch: usize, rows: i32,
): void {
  // taps of kc channels: pixels, or with `rows` whole filter rows
  const kc = rows ? kw * cin : cin / groups;
  const coutG = cout / groups;
  const ks = rows ? kh : kh * kw;
  const panels = (coutG + PANEL - 1) / PANEL;
  const panelBytes = <usize>(PANEL + ks * kc * PANEL) << 2;
  const zero = scratch;
  const ind = scratch + zeroRowBytes(kc);
  const tiles = BLOCK_PIXELS / MR;
  const cRows = ind + <usize>tiles * ks * MR * 4;
  const pixels = oh * ow;
  const outRow = <usize>cout << 2;
  zeroBytes(zero, zeroRowBytes(kc));
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * w * cin * 4;
    const outImage = out + <usize>b * pixels * outRow;
    for (let p0 = 0; p0 < pixels; p0 += BLOCK_PIXELS) {
      const last = min<i32>(p0 + BLOCK_PIXELS, pixels) - 1;
      blockOutputRows(cRows, outImage, outRow, p0, last);
      if (rows) {
        buildRowIndirection(image, h, w, cin, kh, kw, sh, sw, padTop, padLeft, dh, ow, p0, last, zero, ind, ind + indirectionBytes(ks));
        blockPanels(kc, ks, ind, packed, panels, panelBytes, coutG, 0, cRows, p0, last, relu);
        continue;
      }
      for (let g = 0; g < groups; g++) {
        buildIndirection(image + (<usize>(g * kc) << 2), h, w, <usize>cin << 2, kh, kw, sh, sw, padTop, padLeft, dh, dw, ow, p0, last, zero, ind);
        blockPanels(kc, ks, ind, packed + <usize>(g * panels) * panelBytes, panels, panelBytes, coutG, <usize>(g * coutG) << 2, cRows, p0, last, relu);
      }
    }
  }
}

/** The output row of each pixel of the block's MR-pixel tiles, p0 .. last (the last tile's extra rows repeat the last pixel). */
function blockOutputRows(cRows: usize, outImage: usize, outRow: usize, p0: i32, last: i32): void {
  let row = cRows;
  for (let p = p0; p <= last; p += MR) {
    for (let r = 0; r < MR; r++) store<usize>(row + (<usize>r << 2), outImage + <usize>min<i32>(p + r, last) * outRow);
    row += <usize>MR << 2;
  }
}

/**
 * Every panel of one group over the block's tiles: out = act(bias + the indirect GEMM of ks taps of
 * kc channels), coutG channels from byte offset cOff0 of each output row, from the group's panels.
 */
function blockPanels(
  kc: i32, ks: i32, ind: usize, groupPanels: usize, panels: i32, panelBytes: usize, coutG: i32, cOff0: usize,
  cRows: usize, p0: i32, last: i32, relu: i32,
): void {
  const tileBytes = <usize>ks * MR * 4;
  for (let j = 0; j < panels; j++) {
    const wp = groupPanels + <usize>j * panelBytes;
    const nc = min<i32>(PANEL, coutG - j * PANEL);
    const cOff = cOff0 + (<usize>(j * PANEL) << 2);
    let tile = ind;
    let row = cRows;
    for (let p = p0; p <= last; p += MR) {
      igemmTile(kc, ks, tile, wp, row, cOff, nc, relu);
      tile += tileBytes;
      row += <usize>MR << 2;
    }
  }
}
