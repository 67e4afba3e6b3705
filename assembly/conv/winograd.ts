// 3x3 convolution, stride 1, dilation 1, groups 1, as Winograd F(2x2, 3x3) (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016): each 2x2 output tile is A^T [(G g G^T) .
// (B^T d B)] A over the 4x4 input tile d: per input and output channel pair, the tile's 4 x 9 = 36
// multiply-adds become the 16 products of the transformed tiles, 2.25x fewer. The 16 products are 16 GEMMs of
// [tiles, cin] x [cin, cout], run by the 1x1 GEMM micro-kernel on packed panels (pack.ts). The
// transforms only add and subtract (G's halves are folded into the packed weights), so the error
// stays at float rounding of a few more additions per output (F(4x4, 3x3) would save more
// multiplies, but its transforms scale by up to 8 and lose ~2 more digits).
//   x [n, h, w, cin] NHWC, out [n, oh, ow, cout]; cin and cout multiples of 4.
// Tiles are taken blockTiles at a time: the block's 16 transformed inputs [blockTiles, cin] stay in
// cache while every weight panel passes over them, and the products [blockTiles, cout] are turned
// into outputs before the next block. A call computes the output channels of weight panels
// panel0 .. panel0 + panelCount - 1 only (PANEL channels each): a thread pool can split a conv with
// few tiles and many channels by panels, each thread streaming only its share of the weights.
import { PANEL, gemmPackedFloats } from './pack';
import { zeroBytes } from './memory';
import { MR, gemmTile, zeroRowBytes } from './tile';
import { accumulateTap } from './backprop-filter';

/** Floats of one transformed weight plane (a 1x1 GEMM packing of [cin, cout], no bias). */
// @ts-ignore: decorator
@inline
function planeFloats(cin: i32, cout: i32): i32 {
  return gemmPackedFloats(1, cin, cout, 1);
}

/** Floats packWinogradWeights writes: 16 planes, then the bias [cout] (zeros without one). */
export function winogradPackedFloats(cin: i32, cout: i32): i32 {
  return 16 * planeFloats(cin, cout) + ((cout + 3) & ~3);
}

/**
 * HWIO wts [3, 3, cin, cout] -> U_e = (G g G^T)_e for e = 4i + j, each packed as a 1x1 GEMM plane
 * (pack.ts: per 8 output channels a zero bias row, then cin rows of 8), then the bias.
 * G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]. Four output channels at a time,
 * written straight into the panels (this runs at model load, in V8's baseline code: a scalar
 * transform into a temporary and a second packing pass took ~10 ms of the default model's create()).
 * flip = 1 packs the filter of the backward pass instead: wts is a forward conv's HWIO
 * [3, 3, cout, cin] (this conv's cin and cout swapped), read rotated by 180 degrees and with its
 * channel axes swapped, g[r][c][ci][co] = wts[2 - r][2 - c][co][ci], so that this conv of dy
 * (with top/left padding 2 - the forward's) is the forward conv's input gradient.
 */
export function packWinogradWeights(wts: usize, cin: i32, cout: i32, bias: usize, hasBias: i32, out: usize, flip: i32): void {
  const planeBytes = <usize>planeFloats(cin, cout) << 2;
  const panelBytes = <usize>(PANEL + cin * PANEL) << 2;
  // bias rows and the last panel's channels past cout stay zero
  zeroBytes(out, 16 * planeBytes);
  const tapStride = (<usize>cin * cout) << 2;
  const half = f32x4.splat(0.5);
  for (let ci = 0; ci < cin; ci++) {
    for (let co = 0; co < cout; co += 4) {
      let g00: v128, g01: v128, g02: v128, g10: v128, g11: v128, g12: v128, g20: v128, g21: v128, g22: v128;
      if (flip) {
        // the forward filter's taps 8 - t, channels [co + l][ci] (four channels cin apart)
        const src = wts + ((<usize>co * cin + ci) << 2);
        const lane = <usize>cin << 2;
        g00 = gather4(src + 8 * tapStride, lane); g01 = gather4(src + 7 * tapStride, lane); g02 = gather4(src + 6 * tapStride, lane);
        g10 = gather4(src + 5 * tapStride, lane); g11 = gather4(src + 4 * tapStride, lane); g12 = gather4(src + 3 * tapStride, lane);
        g20 = gather4(src + 2 * tapStride, lane); g21 = gather4(src + tapStride, lane); g22 = gather4(src, lane);
      } else {
        const src = wts + ((<usize>ci * cout + co) << 2);
        g00 = v128.load(src); g01 = v128.load(src + tapStride); g02 = v128.load(src + 2 * tapStride);
        g10 = v128.load(src + 3 * tapStride); g11 = v128.load(src + 4 * tapStride); g12 = v128.load(src + 5 * tapStride);
        g20 = v128.load(src + 6 * tapStride); g21 = v128.load(src + 7 * tapStride); g22 = v128.load(src + 8 * tapStride);
      }
      // t = G g (4 x 3): rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2
      const t10 = f32x4.mul(half, f32x4.add(f32x4.add(g00, g10), g20));
      const t11 = f32x4.mul(half, f32x4.add(f32x4.add(g01, g11), g21));
      const t12 = f32x4.mul(half, f32x4.add(f32x4.add(g02, g12), g22));
      const t20 = f32x4.mul(half, f32x4.add(f32x4.sub(g00, g10), g20));
      const t21 = f32x4.mul(half, f32x4.add(f32x4.sub(g01, g11), g21));
      const t22 = f32x4.mul(half, f32x4.add(f32x4.sub(g02, g12), g22));
      // U = t G^T: row i is [t_i0, (t_i0 + t_i1 + t_i2) / 2, (t_i0 - t_i1 + t_i2) / 2, t_i2], into
      // plane 4i + j at panel co / 8, row ci, lanes co % 8
      const at = out + <usize>(co >> 3) * panelBytes + ((<usize>PANEL + <usize>ci * PANEL + (co & 7)) << 2);
      storeRowU(at, planeBytes, 0, g00, g01, g02, half);
      storeRowU(at, planeBytes, 1, t10, t11, t12, half);
      storeRowU(at, planeBytes, 2, t20, t21, t22, half);
      storeRowU(at, planeBytes, 3, g20, g21, g22, half);
    }
  }
  const b = out + 16 * planeBytes;
  for (let co = 0; co < cout; co++) store<f32>(b + (<usize>co << 2), hasBias ? load<f32>(bias + (<usize>co << 2)) : 0);
}

/** Four floats `lane` bytes apart, as one vector. */
// @ts-ignore: decorator
@inline
function gather4(p: usize, lane: usize): v128 {
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + lane));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * lane));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * lane));
}

// @ts-ignore: decorator
@inline
function storeRowU(at: usize, planeBytes: usize, i: i32, a: v128, b: v128, c: v128, half: v128): void {
  const row = at + <usize>(4 * i) * planeBytes;
  const ac = f32x4.add(a, c);
  v128.store(row, a);
  v128.store(row + planeBytes, f32x4.mul(half, f32x4.add(ac, b)));
  v128.store(row + 2 * planeBytes, f32x4.mul(half, f32x4.sub(ac, b)));
  v128.store(row + 3 * planeBytes, c);
}

/**
 * Bytes added to the stride of the 16 transformed-input planes and the 16 product planes. Without
 * it a plane is 32 or 64 KB (winogradBlockTiles sizes a block's input plane at 64 KB of f32, 32 KB
 * of int8's i16), a multiple of 4 KB, so a tile's 16 transformed values, stored one per plane, and
 * the 16 products its output transform loads all fall in the same L1 set: more lines than the set
 * has ways (12 on this Xeon, 8 on Zen), evicted before use. 3 cache lines a plane spread them over
 * distinct sets. Measured (Node 20, SIMD128, one 3x3 conv alone, median of 11, three interleaved
 * runs, 2026-12-05), f32 ms with no skew / 192 bytes: 128x128x64 21.5 / 18.3, 64x64x128 18.0 / 16.7,
 * 32x32x256 17.1 / 16.2, 16x16x512 16.1 / 15.8; int8 (int8-winograd.ts) 128x128x64 11.3 / 9.5,
 * 32x32x256 8.2 / 7.8, 16x16x512 7.8 / 7.7. A skew of 64 bytes was as fast on most runs but far
 * slower on two; 320 was like 192.
 */
export const WINOGRAD_PLANE_SKEW: usize = 192;

/** Bytes from one transformed plane to the next: `rows` rows of `rowBytes`, WINOGRAD_PLANE_SKEW more. The kernels and their scratch sizes both take it from here. */
// @ts-ignore: decorator
@inline
export function winogradPlaneBytes(rows: i32, rowBytes: usize): usize {
  return <usize>rows * rowBytes + WINOGRAD_PLANE_SKEW;
}

/** Scratch bytes of conv2dWinograd: the zero row, 16 input planes and 16 product planes of blockTiles rows. */
export function conv2dWinogradScratchBytes(cin: i32, cout: i32, blockTiles: i32): i32 {
  return <i32>(zeroRowBytes(cin) + 16 * (winogradPlaneBytes(blockTiles, <usize>cin << 2) + winogradPlaneBytes(blockTiles, <usize>cout << 2)));
}

export function conv2dWinograd(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  packed: usize, cout: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, relu: i32, out: usize, scratch: usize, blockTiles: i32,
  panel0: i32, panelCount: i32,
): void {
  const zero = scratch;
  const vPlanes = scratch + zeroRowBytes(cin);
  const vPlaneBytes = winogradPlaneBytes(blockTiles, <usize>cin << 2);
  const mPlanes = vPlanes + 16 * vPlaneBytes;
  const mPlaneBytes = winogradPlaneBytes(blockTiles, <usize>cout << 2);
  const planeBytes = <usize>planeFloats(cin, cout) << 2;
  const panelEnd = min<i32>((cout + PANEL - 1) / PANEL, panel0 + panelCount);
  const panelBytes = <usize>(PANEL + cin * PANEL) << 2;
  // the output channels of the panels asked for (cout is a multiple of 4, so is c1 - c0)
  const c0 = <usize>(panel0 * PANEL) << 2;
  const channels = min<i32>(cout, panelEnd * PANEL) - panel0 * PANEL;
  const bias = packed + 16 * planeBytes;
  const tilesX = (ow + 1) >> 1;
  const tiles = ((oh + 1) >> 1) * tilesX;
  const xRow = <usize>cin << 2;
  const oRow = <usize>cout << 2;
  zeroBytes(zero, zeroRowBytes(cin));
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * w * xRow;
    const outImage = out + <usize>b * oh * ow * oRow;
    for (let t0 = 0; t0 < tiles; t0 += blockTiles) {
      const count = min<i32>(blockTiles, tiles - t0);
      inputBlock(image, h, w, cin, padTop, padLeft, t0, count, tilesX, zero, vPlanes, vPlaneBytes);
      for (let e = 0; e < 16; e++) {
        const v = vPlanes + <usize>e * vPlaneBytes;
        const m = mPlanes + <usize>e * mPlaneBytes;
        const u = packed + <usize>e * planeBytes;
        for (let j = panel0; j < panelEnd; j++) {
          const wp = u + <usize>j * panelBytes;
          const nc = min<i32>(PANEL, cout - j * PANEL);
          const mj = m + (<usize>(j * PANEL) << 2);
          for (let t = 0; t < count; t += MR) {
            gemmTile(min<i32>(MR, count - t), cin, v + <usize>t * xRow, xRow, wp, mj + <usize>t * oRow, oRow, nc, 0);
          }
        }
      }
      for (let t = 0; t < count; t++) {
        const ty = (t0 + t) / tilesX;
        const tx = t0 + t - ty * tilesX;
        const oy = 2 * ty;
        const ox = 2 * tx;
        const at = outImage + (<usize>oy * ow + ox) * oRow;
        outputTile(mPlanes + <usize>t * oRow + c0, mPlaneBytes, bias + c0, channels, relu, at + c0, oy + 1 < oh, ox + 1 < ow, <usize>ow * oRow, oRow);
      }
    }
  }
}

/**
 * The block's input tiles t0 .. t0 + count - 1 (row-major over tilesX tiles a row; tile (ty, tx)
 * reads the 4x4 pixels from (2 ty - padTop, 2 tx - padLeft)) transformed into the 16 planes at
 * vPlanes: tile t's channels are row t of each plane. Shared by the forward and the weight gradient.
 */
function inputBlock(image: usize, h: i32, w: i32, cin: i32, padTop: i32, padLeft: i32, t0: i32, count: i32, tilesX: i32, zero: usize, vPlanes: usize, vPlaneBytes: usize): void {
  const xRow = <usize>cin << 2;
  for (let t = 0; t < count; t++) {
    const ty = (t0 + t) / tilesX;
    const tx = t0 + t - ty * tilesX;
    inputTile<f32>(image, h, w, xRow, 2 * ty - padTop, 2 * tx - padLeft, zero, vPlanes + (<usize>t * xRow), vPlaneBytes);
  }
}

/** Address of input pixel (y, x)'s channels, or the zero row outside the image. */
// @ts-ignore: decorator
@inline
function pixelOrZero(image: usize, h: i32, w: i32, xRow: usize, y: i32, x: i32, zero: usize): usize {
  return <u32>y < <u32>h && <u32>x < <u32>w ? image + (<usize>y * w + x) * xRow : zero;
}

/** a + b lane-wise: f32x4 for T = f32, i16x8 for T = i16 (the int8 kernel's codes; decided at compile time). */
// @ts-ignore: decorator
@inline
function add<T>(a: v128, b: v128): v128 {
  return isInteger<T>() ? i16x8.add(a, b) : f32x4.add(a, b);
}

// @ts-ignore: decorator
@inline
function sub<T>(a: v128, b: v128): v128 {
  return isInteger<T>() ? i16x8.sub(a, b) : f32x4.sub(a, b);
}

/**
 * V = B^T d B of the 4x4 input tile at (y0, x0), 16 bytes of channels at a time (4 f32 or 8 i16),
 * into the 16 planes (plane e at v + e*planeBytes). T = f32 here; T = i16 for the int8 kernel
 * (int8-winograd.ts), whose codes stay exact (|V| <= 4 max |code|).
 */
export function inputTile<T>(image: usize, h: i32, w: i32, xRow: usize, y0: i32, x0: i32, zero: usize, v: usize, planeBytes: usize): void {
  const r0c0 = pixelOrZero(image, h, w, xRow, y0, x0, zero), r0c1 = pixelOrZero(image, h, w, xRow, y0, x0 + 1, zero);
  const r0c2 = pixelOrZero(image, h, w, xRow, y0, x0 + 2, zero), r0c3 = pixelOrZero(image, h, w, xRow, y0, x0 + 3, zero);
  const r1c0 = pixelOrZero(image, h, w, xRow, y0 + 1, x0, zero), r1c1 = pixelOrZero(image, h, w, xRow, y0 + 1, x0 + 1, zero);
  const r1c2 = pixelOrZero(image, h, w, xRow, y0 + 1, x0 + 2, zero), r1c3 = pixelOrZero(image, h, w, xRow, y0 + 1, x0 + 3, zero);
  const r2c0 = pixelOrZero(image, h, w, xRow, y0 + 2, x0, zero), r2c1 = pixelOrZero(image, h, w, xRow, y0 + 2, x0 + 1, zero);
  const r2c2 = pixelOrZero(image, h, w, xRow, y0 + 2, x0 + 2, zero), r2c3 = pixelOrZero(image, h, w, xRow, y0 + 2, x0 + 3, zero);
  const r3c0 = pixelOrZero(image, h, w, xRow, y0 + 3, x0, zero), r3c1 = pixelOrZero(image, h, w, xRow, y0 + 3, x0 + 1, zero);
  const r3c2 = pixelOrZero(image, h, w, xRow, y0 + 3, x0 + 2, zero), r3c3 = pixelOrZero(image, h, w, xRow, y0 + 3, x0 + 3, zero);
  const p = planeBytes;
  for (let c: usize = 0; c < xRow; c += 16) {
    // t = B^T d, B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], column by column
    const d10 = v128.load(r1c0 + c), d20 = v128.load(r2c0 + c);
    const t00 = sub<T>(v128.load(r0c0 + c), d20), t10 = add<T>(d10, d20), t20 = sub<T>(d20, d10), t30 = sub<T>(d10, v128.load(r3c0 + c));
    const d11 = v128.load(r1c1 + c), d21 = v128.load(r2c1 + c);
    const t01 = sub<T>(v128.load(r0c1 + c), d21), t11 = add<T>(d11, d21), t21 = sub<T>(d21, d11), t31 = sub<T>(d11, v128.load(r3c1 + c));
    const d12 = v128.load(r1c2 + c), d22 = v128.load(r2c2 + c);
    const t02 = sub<T>(v128.load(r0c2 + c), d22), t12 = add<T>(d12, d22), t22 = sub<T>(d22, d12), t32 = sub<T>(d12, v128.load(r3c2 + c));
    const d13 = v128.load(r1c3 + c), d23 = v128.load(r2c3 + c);
    const t03 = sub<T>(v128.load(r0c3 + c), d23), t13 = add<T>(d13, d23), t23 = sub<T>(d23, d13), t33 = sub<T>(d13, v128.load(r3c3 + c));
    // V = t B, row by row: [t0 - t2, t1 + t2, t2 - t1, t1 - t3]
    const o = v + c;
    v128.store(o, sub<T>(t00, t02));
    v128.store(o + p, add<T>(t01, t02));
    v128.store(o + 2 * p, sub<T>(t02, t01));
    v128.store(o + 3 * p, sub<T>(t01, t03));
    v128.store(o + 4 * p, sub<T>(t10, t12));
    v128.store(o + 5 * p, add<T>(t11, t12));
    v128.store(o + 6 * p, sub<T>(t12, t11));
    v128.store(o + 7 * p, sub<T>(t11, t13));
    v128.store(o + 8 * p, sub<T>(t20, t22));
    v128.store(o + 9 * p, add<T>(t21, t22));
    v128.store(o + 10 * p, sub<T>(t22, t21));
    v128.store(o + 11 * p, sub<T>(t21, t23));
    v128.store(o + 12 * p, sub<T>(t30, t32));
    v128.store(o + 13 * p, add<T>(t31, t32));
    v128.store(o + 14 * p, sub<T>(t32, t31));
    v128.store(o + 15 * p, sub<T>(t31, t33));
  }
}

/**
 * Y = A^T M A + bias (ReLU when asked) of one tile's 16 products (plane e at m + e*planeBytes),
 * A^T = [[1, 1, 1, 0], [0, 1, -1, -1]], into the 2x2 outputs at `at` (the second row and column
 * only where they lie inside the output).
 */
function outputTile(m: usize, planeBytes: usize, bias: usize, cout: i32, relu: i32, at: usize, hasRow1: bool, hasCol1: bool, outRowBytes: usize, pixelBytes: usize): void {
  const p = planeBytes;
  const zero = f32x4.splat(0);
  for (let c: usize = 0; c < (<usize>cout << 2); c += 16) {
    const o = m + c;
    // s = A^T M, column by column: s0j = m0j + m1j + m2j, s1j = m1j - m2j - m3j
    const m10 = v128.load(o + 4 * p), m20 = v128.load(o + 8 * p);
    const s00 = f32x4.add(f32x4.add(v128.load(o), m10), m20), s10 = f32x4.sub(f32x4.sub(m10, m20), v128.load(o + 12 * p));
    const m11 = v128.load(o + 5 * p), m21 = v128.load(o + 9 * p);
    const s01 = f32x4.add(f32x4.add(v128.load(o + p), m11), m21), s11 = f32x4.sub(f32x4.sub(m11, m21), v128.load(o + 13 * p));
    const m12 = v128.load(o + 6 * p), m22 = v128.load(o + 10 * p);
    const s02 = f32x4.add(f32x4.add(v128.load(o + 2 * p), m12), m22), s12 = f32x4.sub(f32x4.sub(m12, m22), v128.load(o + 14 * p));
    const m13 = v128.load(o + 7 * p), m23 = v128.load(o + 11 * p);
    const s03 = f32x4.add(f32x4.add(v128.load(o + 3 * p), m13), m23), s13 = f32x4.sub(f32x4.sub(m13, m23), v128.load(o + 15 * p));
    // Y = s A, row by row: [s_i0 + s_i1 + s_i2, s_i1 - s_i2 - s_i3], then the bias
    const bv = v128.load(bias + c);
    let y00 = f32x4.add(f32x4.add(f32x4.add(s00, s01), s02), bv);
    let y01 = f32x4.add(f32x4.sub(f32x4.sub(s01, s02), s03), bv);
    let y10 = f32x4.add(f32x4.add(f32x4.add(s10, s11), s12), bv);
    let y11 = f32x4.add(f32x4.sub(f32x4.sub(s11, s12), s13), bv);
    if (relu) {
      y00 = f32x4.pmax(y00, zero);
      y01 = f32x4.pmax(y01, zero);
      y10 = f32x4.pmax(y10, zero);
      y11 = f32x4.pmax(y11, zero);
    }
    v128.store(at + c, y00);
    if (hasCol1) v128.store(at + pixelBytes + c, y01);
    if (hasRow1) {
      v128.store(at + outRowBytes + c, y10);
      if (hasCol1) v128.store(at + outRowBytes + pixelBytes + c, y11);
    }
  }
}

// ---- the weight gradient (training) ----
// For y = conv(x, g) as above, dL/dU_e = sum over tiles of V_e (x) dM_e with dM = A dY A^T (the
// tile's 2x2 output gradient spread back over the 4x4 products), and dL/dg = G^T (dL/dU) G: 16
// GEMMs reducing over tiles, [cin, tiles] x [tiles, cout], on the direct weight gradient's register
// tiles (backprop-filter.ts), then one small transform per channel pair. 2.25x fewer multiply-adds
// than the direct weight gradient, like the forward.

/** Scratch bytes of conv2dBackpropFilterWinograd: the forward's, with a zero row of max(cin, cout), plus the 16 gradient planes [cin, cout]. */
export function conv2dBackpropFilterWinogradScratchBytes(cin: i32, cout: i32, blockTiles: i32): i32 {
  return <i32>(zeroRowBytes(max<i32>(cin, cout)) + 16 * (winogradPlaneBytes(blockTiles, <usize>cin << 2) + winogradPlaneBytes(blockTiles, <usize>cout << 2)) + (<usize>16 * cin * cout << 2));
}

/**
 * dW [3, 3, cin, cout] = the weight gradient of the 3x3 stride-1 conv of x [n, h, w, cin] (top/left
 * padding padTop, padLeft) whose output gradient is dy [n, oh, ow, cout]; cin and cout multiples of 4.
 */
export function conv2dBackpropFilterWinograd(
  x: usize, n: i32, h: i32, w: i32, cin: i32,
  dy: usize, oh: i32, ow: i32, cout: i32, padTop: i32, padLeft: i32,
  dW: usize, scratch: usize, blockTiles: i32,
): void {
  const zero = scratch;
  const vPlanes = scratch + zeroRowBytes(max<i32>(cin, cout));
  const vPlaneBytes = winogradPlaneBytes(blockTiles, <usize>cin << 2);
  const mPlanes = vPlanes + 16 * vPlaneBytes;
  const mPlaneBytes = winogradPlaneBytes(blockTiles, <usize>cout << 2);
  const sPlanes = mPlanes + 16 * mPlaneBytes;
  const sPlaneBytes = <usize>cin * cout << 2;
  const tilesX = (ow + 1) >> 1;
  const tiles = ((oh + 1) >> 1) * tilesX;
  const xRow = <usize>cin << 2;
  const oRow = <usize>cout << 2;
  zeroBytes(zero, zeroRowBytes(max<i32>(cin, cout)));
  zeroBytes(sPlanes, 16 * sPlaneBytes);
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * w * xRow;
    const grad = dy + <usize>b * oh * ow * oRow;
    for (let t0 = 0; t0 < tiles; t0 += blockTiles) {
      const count = min<i32>(blockTiles, tiles - t0);
      inputBlock(image, h, w, cin, padTop, padLeft, t0, count, tilesX, zero, vPlanes, vPlaneBytes);
      for (let t = 0; t < count; t++) {
        const ty = (t0 + t) / tilesX;
        gradTile(grad, oh, ow, oRow, 2 * ty, 2 * (t0 + t - ty * tilesX), cout, zero, mPlanes + (<usize>t * oRow), mPlaneBytes);
      }
      for (let e = 0; e < 16; e++) {
        accumulateTap(vPlanes + <usize>e * vPlaneBytes, xRow, 0, mPlanes + <usize>e * mPlaneBytes, oRow, 0, 1, count, cin, cout, sPlanes + <usize>e * sPlaneBytes);
      }
    }
  }
  // dW = G^T S G per channel pair, four output channels at a time
  const half = f32x4.splat(0.5);
  const tap = <usize>cin * cout << 2;
  for (let ci = 0; ci < cin; ci++) {
    for (let co = 0; co < cout; co += 4) {
      const at = (<usize>ci * cout + co) << 2;
      const s = sPlanes + at;
      // t = G^T S (3 x 4), column by column: [S0j + (S1j + S2j) / 2, (S1j - S2j) / 2, (S1j + S2j) / 2 + S3j]
      const p = sPlaneBytes;
      const m0 = f32x4.mul(half, f32x4.add(v128.load(s + 4 * p), v128.load(s + 8 * p)));
      const m1 = f32x4.mul(half, f32x4.add(v128.load(s + 5 * p), v128.load(s + 9 * p)));
      const m2 = f32x4.mul(half, f32x4.add(v128.load(s + 6 * p), v128.load(s + 10 * p)));
      const m3 = f32x4.mul(half, f32x4.add(v128.load(s + 7 * p), v128.load(s + 11 * p)));
      const d = dW + at;
      rowG(d, tap, 0,
        f32x4.add(v128.load(s), m0), f32x4.add(v128.load(s + p), m1), f32x4.add(v128.load(s + 2 * p), m2), f32x4.add(v128.load(s + 3 * p), m3), half);
      rowG(d, tap, 1,
        f32x4.mul(half, f32x4.sub(v128.load(s + 4 * p), v128.load(s + 8 * p))), f32x4.mul(half, f32x4.sub(v128.load(s + 5 * p), v128.load(s + 9 * p))),
        f32x4.mul(half, f32x4.sub(v128.load(s + 6 * p), v128.load(s + 10 * p))), f32x4.mul(half, f32x4.sub(v128.load(s + 7 * p), v128.load(s + 11 * p))), half);
      rowG(d, tap, 2,
        f32x4.add(m0, v128.load(s + 12 * p)), f32x4.add(m1, v128.load(s + 13 * p)), f32x4.add(m2, v128.load(s + 14 * p)), f32x4.add(m3, v128.load(s + 15 * p)), half);
    }
  }
}

/** Row r of dW = t G: [p0 + (p1 + p2) / 2, (p1 - p2) / 2, (p1 + p2) / 2 + p3] into taps 3r .. 3r + 2. */
// @ts-ignore: decorator
@inline
function rowG(d: usize, tap: usize, r: i32, p0: v128, p1: v128, p2: v128, p3: v128, half: v128): void {
  const mid = f32x4.mul(half, f32x4.add(p1, p2));
  const row = d + <usize>(3 * r) * tap;
  v128.store(row, f32x4.add(p0, mid));
  v128.store(row + tap, f32x4.mul(half, f32x4.sub(p1, p2)));
  v128.store(row + 2 * tap, f32x4.add(mid, p3));
}

/** dM = A dY A^T of the 2x2 output gradient at (oy, ox) (zero outside the output) into the 16 planes. */
function gradTile(grad: usize, oh: i32, ow: i32, oRow: usize, oy: i32, ox: i32, cout: i32, zero: usize, m: usize, planeBytes: usize): void {
  const row1 = oy + 1 < oh;
  const col1 = ox + 1 < ow;
  const pa = grad + (<usize>oy * ow + ox) * oRow;
  const pb = col1 ? pa + oRow : zero;
  const pc = row1 ? pa + <usize>ow * oRow : zero;
  const pd = row1 && col1 ? pa + <usize>ow * oRow + oRow : zero;
  const p = planeBytes;
  for (let c: usize = 0; c < (<usize>cout << 2); c += 16) {
    const a = v128.load(pa + c), b = v128.load(pb + c), cc = v128.load(pc + c), d = v128.load(pd + c);
    // rows of A dY: [a, b], [a + c, b + d], [a - c, b - d], [-c, -d]; each [p, q] -> [p, p + q, p - q, -q]
    const o = m + c;
    storeRowDm(o, p, 0, a, b);
    storeRowDm(o, p, 1, f32x4.add(a, cc), f32x4.add(b, d));
    storeRowDm(o, p, 2, f32x4.sub(a, cc), f32x4.sub(b, d));
    storeRowDm(o, p, 3, f32x4.neg(cc), f32x4.neg(d));
  }
}

// @ts-ignore: decorator
@inline
function storeRowDm(o: usize, planeBytes: usize, i: i32, p: v128, q: v128): void {
  const row = o + <usize>(4 * i) * planeBytes;
  v128.store(row, p);
  v128.store(row + planeBytes, f32x4.add(p, q));
  v128.store(row + 2 * planeBytes, f32x4.sub(p, q));
  v128.store(row + 3 * planeBytes, f32x4.neg(q));
}
