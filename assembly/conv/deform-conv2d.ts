// Modulated deformable convolution (DCNv2) as a GEMM: x [n, h, w, cin] NHWC, packed panels
// (pack.ts, ks = kh*kw taps, kc = cin, one group), offsets and mask as in deform-conv2d-scalar.ts
// -> out [n, oh, ow, cout], bias and ReLU fused. Per block of output pixels, each (pixel, tap) gets
// its four bilinear corner addresses (a zero row for corners outside the image) and weights with the
// mask folded in, once; the modulated samples are gathered into a column buffer in scratch, with SIMD
// over channels (NHWC: a corner's cin values are contiguous). The buffer holds the block as packed
// 4-pixel tiles, [ks*cin][4] floats each (reduction index tap*cin + ci, the panels' order), which the
// ppmm micro-kernel reads as one stream: with four separate pixel rows (gemm-4x8.ts) the GEMM ran
// about 20% slower than the plain conv's indirect GEMM, which reuses its input rows across taps.
// The gather costs 4 multiply-adds per reduction value, the GEMM cout.
import { madd4 } from '../common/simd';
import { sigmoidF32 } from '../elementwise/sigmoid';
import { zeroBytes } from './memory';
import { PANEL } from './pack';
import { ppmm4x8 } from './ppmm-4x8';
import { BLOCK_PIXELS, MR, zeroRowBytes } from './tile';

/**
 * Column-buffer budget in bytes: the block stays in L2 while every weight panel passes over it (a
 * ResNet neck layer's pixel, cin 512 x 9 taps, is 18 KiB). Budgets from 96 KiB to 1.2 MiB measured
 * within noise of each other on the neck layers; this one keeps 64-pixel blocks up to cin 128.
 */
const COLUMN_BYTES: i32 = 320 * 1024;

/** Output pixels per block for a reduction of k floats: a multiple of MR, at most BLOCK_PIXELS. */
function blockPixels(k: i32): i32 {
  const fit = (COLUMN_BYTES / (k * 4)) / MR * MR;
  return max<i32>(MR, min<i32>(BLOCK_PIXELS, fit));
}

/** Scratch bytes deformConv2dGemm needs: the zero row, one pixel's ks mask values, one block's column buffer. */
export function deformConv2dGemmScratchBytes(cin: i32, ks: i32): i32 {
  const k = ks * cin;
  return <i32>(zeroRowBytes(cin) + zeroRowBytes(ks)) + blockPixels(k) * k * 4;
}

export function deformConv2dGemm(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  packed: usize, kh: i32, kw: i32, cout: i32,
  sh: i32, sw: i32, padTop: i32, padLeft: i32, dh: i32, dw: i32,
  oh: i32, ow: i32,
  offset: usize, offsetStride: i32, mask: usize, maskStride: i32, maskLogits: i32,
  relu: i32, out: usize, scratch: usize,
): void {
  const ks = kh * kw;
  const k = ks * cin;
  const block = blockPixels(k);
  const panels = (cout + PANEL - 1) / PANEL;
  const panelBytes = <usize>(PANEL + k * PANEL) << 2;
  const zero = scratch;
  const mods = zero + zeroRowBytes(cin);
  const col = mods + zeroRowBytes(ks);
  const tileBytes = <usize>k << 4;
  const pixels = oh * ow;
  const outRow = <usize>cout << 2;
  zeroBytes(zero, zeroRowBytes(cin));
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * w * cin * 4;
    const outImage = out + <usize>b * pixels * outRow;
    const offImage = offset + <usize>b * pixels * offsetStride * 4;
    const maskImage = mask + <usize>b * pixels * maskStride * 4;
    for (let p0 = 0; p0 < pixels; p0 += block) {
      const end = min<i32>(p0 + block, pixels);
      // gather the block's tiles: tile t, row r holds pixel min(p0 + 4t + r, last) (tail rows repeat the last pixel)
      let tile = col;
      for (let p = p0; p < end; p += MR) {
        for (let r = 0; r < MR; r++) {
          const q = min<i32>(p + r, end - 1);
          const oy = q / ow;
          const ox = q - oy * ow;
          const offs = offImage + (<usize>q * offsetStride << 2);
          let mk = maskImage + (<usize>q * maskStride << 2);
          if (maskLogits) {
            // the pixel's ks logits at once through the SIMD sigmoid
            sigmoidF32(mk, mods, ks);
            mk = mods;
          }
          let dst = tile + (<usize>r << 2);
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const t = ky * kw + kx;
              const py = <f32>(oy * sh - padTop + ky * dh) + load<f32>(offs + (<usize>(2 * t) << 2));
              const px = <f32>(ox * sw - padLeft + kx * dw) + load<f32>(offs + (<usize>(2 * t + 1) << 2));
              gatherTap(image, h, w, cin, py, px, load<f32>(mk + (<usize>t << 2)), zero, dst);
              dst += <usize>cin << 4;
            }
          }
        }
        tile += tileBytes;
      }
      for (let j = 0; j < panels; j++) {
        const wp = packed + <usize>j * panelBytes;
        const nc = min<i32>(PANEL, cout - j * PANEL);
        const cOut = outImage + (<usize>(j * PANEL) << 2);
        tile = col;
        for (let p = p0; p < end; p += MR) {
          ppmm4x8(min<i32>(MR, end - p), k, tile, wp, cOut + <usize>p * outRow, outRow, nc, relu);
          tile += tileBytes;
        }
      }
    }
  }
}

/**
 * dst[4c] for c < cin (one row of a packed tile) = m * bilinear sample of the image at (py, px): 0 unless -1 < py < h and -1 < px < w
 * (a NaN coordinate counts as outside), corners outside the image read the zero row.
 */
function gatherTap(image: usize, h: i32, w: i32, cin: i32, py: f32, px: f32, m: f32, zero: usize, dst: usize): void {
  let a00 = zero;
  let a01 = zero;
  let a10 = zero;
  let a11 = zero;
  let w00: f32 = 0;
  let w01: f32 = 0;
  let w10: f32 = 0;
  let w11: f32 = 0;
  if (py > -1 && py < <f32>h && px > -1 && px < <f32>w) {
    const fy = Mathf.floor(py);
    const fx = Mathf.floor(px);
    const y0 = <i32>fy;
    const x0 = <i32>fx;
    const ly = py - fy;
    const lx = px - fx;
    const hy = <f32>1 - ly;
    const hx = <f32>1 - lx;
    w00 = hy * hx * m;
    w01 = hy * lx * m;
    w10 = ly * hx * m;
    w11 = ly * lx * m;
    const pixelBytes = <usize>cin << 2;
    // y0, x0 >= -1 here: the -1 row and column are never addressed
    const row1 = image + <usize>((y0 + 1) * w) * pixelBytes;
    const row0 = row1 - <usize>w * pixelBytes;
    if (y0 >= 0) {
      if (x0 >= 0) a00 = row0 + <usize>x0 * pixelBytes;
      if (x0 + 1 < w) a01 = row0 + <usize>(x0 + 1) * pixelBytes;
    }
    if (y0 + 1 < h) {
      if (x0 >= 0) a10 = row1 + <usize>x0 * pixelBytes;
      if (x0 + 1 < w) a11 = row1 + <usize>(x0 + 1) * pixelBytes;
    }
  }
  const v00 = f32x4.splat(w00);
  const v01 = f32x4.splat(w01);
  const v10 = f32x4.splat(w10);
  const v11 = f32x4.splat(w11);
  const bytes = <usize>cin << 2;
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) {
    let acc = f32x4.mul(v128.load(a00 + i), v00);
    acc = madd4(v128.load(a01 + i), v01, acc);
    acc = madd4(v128.load(a10 + i), v10, acc);
    acc = madd4(v128.load(a11 + i), v11, acc);
    // channels c..c+3 of this row go to 4 consecutive reduction steps, 16 bytes apart
    v128.store32_lane(dst, acc, 0);
    v128.store32_lane(dst, acc, 1, 16);
    v128.store32_lane(dst, acc, 2, 32);
    v128.store32_lane(dst, acc, 3, 48);
    dst += 64;
  }
  for (; i < bytes; i += 4) {
    const v = load<f32>(a00 + i) * w00 + load<f32>(a01 + i) * w01 + load<f32>(a10 + i) * w10 + load<f32>(a11 + i) * w11;
    store<f32>(dst, v);
    dst += 16;
  }
}
