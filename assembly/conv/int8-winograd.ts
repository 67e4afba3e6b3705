// Int8 3x3 convolution, stride 1, dilation 1, groups 1, as Winograd F(2x2, 3x3) in exact integer
// arithmetic: the same result as the direct int8 conv (conv2d-int8-scalar.ts, the spec) to the bit.
// Over the integers, with G2 = 2G = [[2, 0, 0], [1, 1, 1], [1, -1, 1], [0, 0, 2]],
//   A^T [(G2 g G2^T) . (B^T d B)] A = 4 * (the direct conv's integer sum over the 3x3 x cin window),
// so with U = G2 g G2^T (|U| <= 9 * 127 = 1143, an i16) and V = B^T d B (|V| <= 4 * 255 = 1020, an
// i16), the 16 products per tile are 16 GEMMs of [tiles, cs] x [cs, cout] on i32x4.dot_i16x8_s, as
// the direct c2 kernel (int8-igemm-4x8c2.ts) but with 16 products per 2x2 output tile instead of 36.
// Every step after V is i32 arithmetic, which wraps modulo 2^32; the true final sum is 4 * acc with
// |acc| <= 9 * cs * 255 * 127, so while that fits an i32 (cs <= 1841, checked by the caller) the
// wrapped result is the true one, and y >> 2 is acc exactly. The epilogue is the direct kernel's:
//   out = act(f32(acc) * (actScale * scale[c]) + bias[c])
// Codes: c2 i16 activations (0..255 or -127..127) with cs a multiple of 8 (the input transform runs
// 8 channels at a time), cout a multiple of 4 (the output transform runs 4 at a time).
// The blocking follows the f32 kernel (winograd.ts): blockTiles tiles at a time, their 16 transformed
// input planes [blockTiles, cs] i16 in cache while the weight panels pass, products [blockTiles,
// coutP] i32 (coutP = cout rounded up to 8), then the block's outputs. A call computes the output
// channels of panels panel0 .. panel0 + panelCount - 1 only (a thread pool may split by panels).
import { PANEL } from './pack';
import { int8PanelBytes } from './int8-pack';
import { zeroBytes } from './memory';
import { MR } from './tile';
import { inputTile, winogradPlaneBytes } from './winograd';

/** Bytes of the packed weights: ceil(cout / 8) panels of scale 8 | bias 8 | 16 planes x ceil(cin / 2) rows of 32 bytes. */
export function int8WinogradPackedBytes(cin: i32, cout: i32): i32 {
  return <i32>(<usize>((cout + PANEL - 1) / PANEL) * int8PanelBytes(16, (cin + 1) >> 1));
}

/**
 * codes HWIO [3, 3, cin, cout] int8 (-127..127), scales [cout], bias [cout] -> per panel of 8
 * output channels: scales, biases (f32, zero past cout), then for e = 4i + j the plane U_e in the
 * c2 row layout (row p: 8 (U_e[2p][c], U_e[2p + 1][c]) i16 pairs), zero for channels past cin / cout.
 * Runs at model load, once per weight: every (ci, co) pair's 16 values from one read of its 9 taps.
 */
export function packInt8WinogradWeights(codes: usize, cin: i32, cout: i32, scales: usize, bias: usize, hasBias: i32, out: usize): void {
  const kp = (cin + 1) >> 1;
  const panelBytes = int8PanelBytes(16, kp);
  const planeBytes = <usize>kp * (PANEL * 4);
  const panels = (cout + PANEL - 1) / PANEL;
  zeroBytes(out, <usize>panels * panelBytes);
  for (let j = 0; j < panels; j++) {
    const head = out + <usize>j * panelBytes;
    for (let c = 0; c < PANEL; c++) {
      const co = j * PANEL + c;
      if (co >= cout) break;
      store<f32>(head + (<usize>c << 2), load<f32>(scales + (<usize>co << 2)));
      store<f32>(head + (<usize>(PANEL + c) << 2), hasBias ? load<f32>(bias + (<usize>co << 2)) : 0);
    }
  }
  const tap = <usize>cin * cout;
  for (let ci = 0; ci < cin; ci++) {
    for (let co = 0; co < cout; co++) {
      const g = codes + <usize>ci * cout + co;
      const g00 = <i32>load<i8>(g), g01 = <i32>load<i8>(g + tap), g02 = <i32>load<i8>(g + 2 * tap);
      const g10 = <i32>load<i8>(g + 3 * tap), g11 = <i32>load<i8>(g + 4 * tap), g12 = <i32>load<i8>(g + 5 * tap);
      const g20 = <i32>load<i8>(g + 6 * tap), g21 = <i32>load<i8>(g + 7 * tap), g22 = <i32>load<i8>(g + 8 * tap);
      // t = G2 g (4 x 3): rows 2 g0, g0 + g1 + g2, g0 - g1 + g2, 2 g2
      const at = out + <usize>(co / PANEL) * panelBytes + (<usize>(2 * PANEL) << 2) + <usize>(ci >> 1) * (PANEL * 4) + (<usize>(co % PANEL) << 2) + (<usize>(ci & 1) << 1);
      storeRowU(at, planeBytes, 0, 2 * g00, 2 * g01, 2 * g02);
      storeRowU(at, planeBytes, 1, g00 + g10 + g20, g01 + g11 + g21, g02 + g12 + g22);
      storeRowU(at, planeBytes, 2, g00 - g10 + g20, g01 - g11 + g21, g02 - g12 + g22);
      storeRowU(at, planeBytes, 3, 2 * g20, 2 * g21, 2 * g22);
    }
  }
}

/** Row i of U = t G2^T: [2a, a + b + c, a - b + c, 2c] into planes 4i .. 4i + 3. */
// @ts-ignore: decorator
@inline
function storeRowU(at: usize, planeBytes: usize, i: i32, a: i32, b: i32, c: i32): void {
  const row = at + <usize>(4 * i) * planeBytes;
  store<i16>(row, 2 * a);
  store<i16>(row + planeBytes, a + b + c);
  store<i16>(row + 2 * planeBytes, a - b + c);
  store<i16>(row + 3 * planeBytes, 2 * c);
}

/** Bytes of one 16-byte aligned row of cs i16 codes (the zero row of the padding). */
// @ts-ignore: decorator
@inline
function zeroRowBytes(cs: i32): usize {
  return ((<usize>cs << 1) + 15) & ~(<usize>15);
}

/** Scratch bytes of conv2dInt8Winograd: the zero row, 16 input planes [blockTiles, cs] i16, 16 product planes [blockTiles, coutP] i32 (strides: winogradPlaneBytes). */
export function conv2dInt8WinogradScratchBytes(cs: i32, cout: i32, blockTiles: i32): i32 {
  const coutP = ((cout + PANEL - 1) / PANEL) * PANEL;
  return <i32>(zeroRowBytes(cs) + 16 * (winogradPlaneBytes(blockTiles, <usize>cs << 1) + winogradPlaneBytes(blockTiles, <usize>coutP << 2)));
}

export function conv2dInt8Winograd(
  x: usize, n: i32, h: i32, w: i32, cs: i32,
  packed: usize, cout: i32, padTop: i32, padLeft: i32,
  oh: i32, ow: i32, actScaleBits: i32, relu: i32, out: usize, scratch: usize, blockTiles: i32,
  panel0: i32, panelCount: i32,
): void {
  const actScale = reinterpret<f32>(actScaleBits);
  const kp = cs >> 1;
  const panelBytes = int8PanelBytes(16, kp);
  const planeBytes = <usize>kp * (PANEL * 4);
  const coutP = ((cout + PANEL - 1) / PANEL) * PANEL;
  const zero = scratch;
  const xRow = <usize>cs << 1;
  const vPlanes = scratch + zeroRowBytes(cs);
  const vPlaneBytes = winogradPlaneBytes(blockTiles, xRow);
  const mRow = <usize>coutP << 2;
  const mPlanes = vPlanes + 16 * vPlaneBytes;
  const mPlaneBytes = winogradPlaneBytes(blockTiles, mRow);
  const panelEnd = min<i32>((cout + PANEL - 1) / PANEL, panel0 + panelCount);
  const c0 = panel0 * PANEL;
  const channels = min<i32>(cout, panelEnd * PANEL) - c0;
  const tilesX = (ow + 1) >> 1;
  const tiles = ((oh + 1) >> 1) * tilesX;
  const oRow = <usize>cout << 2;
  zeroBytes(zero, zeroRowBytes(cs));
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * h * w * xRow;
    const outImage = out + <usize>b * oh * ow * oRow;
    for (let t0 = 0; t0 < tiles; t0 += blockTiles) {
      const count = min<i32>(blockTiles, tiles - t0);
      for (let t = 0; t < count; t++) {
        const ty = (t0 + t) / tilesX;
        const tx = t0 + t - ty * tilesX;
        inputTile<i16>(image, h, w, xRow, 2 * ty - padTop, 2 * tx - padLeft, zero, vPlanes + <usize>t * xRow, vPlaneBytes);
      }
      for (let e = 0; e < 16; e++) {
        const v = vPlanes + <usize>e * vPlaneBytes;
        const m = mPlanes + <usize>e * mPlaneBytes;
        for (let j = panel0; j < panelEnd; j++) {
          const wp = packed + <usize>j * panelBytes + (<usize>(2 * PANEL) << 2) + <usize>e * planeBytes;
          const mj = m + (<usize>(j * PANEL) << 2);
          for (let t = 0; t < count; t += MR) {
            // rows past the block's end repeat its last row (same values to the same place)
            const last = count - 1;
            gemmRaw4x8(kp, v + <usize>t * xRow, v + <usize>min<i32>(t + 1, last) * xRow, v + <usize>min<i32>(t + 2, last) * xRow, v + <usize>min<i32>(t + 3, last) * xRow,
              wp, mj + <usize>t * mRow, mj + <usize>min<i32>(t + 1, last) * mRow, mj + <usize>min<i32>(t + 2, last) * mRow, mj + <usize>min<i32>(t + 3, last) * mRow);
          }
        }
      }
      for (let t = 0; t < count; t++) {
        const ty = (t0 + t) / tilesX;
        const tx = t0 + t - ty * tilesX;
        const oy = 2 * ty;
        const ox = 2 * tx;
        const at = outImage + (<usize>oy * ow + ox) * oRow;
        outputTile(mPlanes + <usize>t * mRow, mPlaneBytes, packed, panelBytes, c0, channels, actScale, relu, at, oy + 1 < oh, ox + 1 < ow, <usize>ow * oRow, oRow);
      }
    }
  }
}

/**
 * 4 rows x 8 channels of one plane's GEMM, i32 sums stored raw: c_r[0..8) = sum over kp pairs of
 * (a_r[2p], a_r[2p + 1]) . (w[2p][c], w[2p + 1][c]). The direct c2 micro-kernel's loop
 * (int8-igemm-4x8c2.ts), on contiguous rows and without its epilogue.
 */
function gemmRaw4x8(kp: i32, a0: usize, a1: usize, a2: usize, a3: usize, w: usize, c0: usize, c1: usize, c2: usize, c3: usize): void {
  let acc00 = i32x4.splat(0);
  let acc01 = acc00;
  let acc10 = acc00;
  let acc11 = acc00;
  let acc20 = acc00;
  let acc21 = acc00;
  let acc30 = acc00;
  let acc31 = acc00;
  for (let k = kp; k > 0; k--) {
    const b0 = v128.load(w);
    const b1 = v128.load(w, 16);
    let v = v128.load32_splat(a0);
    acc00 = i32x4.add(acc00, i32x4.dot_i16x8_s(v, b0));
    acc01 = i32x4.add(acc01, i32x4.dot_i16x8_s(v, b1));
    v = v128.load32_splat(a1);
    acc10 = i32x4.add(acc10, i32x4.dot_i16x8_s(v, b0));
    acc11 = i32x4.add(acc11, i32x4.dot_i16x8_s(v, b1));
    v = v128.load32_splat(a2);
    acc20 = i32x4.add(acc20, i32x4.dot_i16x8_s(v, b0));
    acc21 = i32x4.add(acc21, i32x4.dot_i16x8_s(v, b1));
    v = v128.load32_splat(a3);
    acc30 = i32x4.add(acc30, i32x4.dot_i16x8_s(v, b0));
    acc31 = i32x4.add(acc31, i32x4.dot_i16x8_s(v, b1));
    a0 += 4;
    a1 += 4;
    a2 += 4;
    a3 += 4;
    w += 32;
  }
  // last row first: rows past the block's end alias earlier rows and hold the same values
  v128.store(c3, acc30);
  v128.store(c3, acc31, 16);
  v128.store(c2, acc20);
  v128.store(c2, acc21, 16);
  v128.store(c1, acc10);
  v128.store(c1, acc11, 16);
  v128.store(c0, acc00);
  v128.store(c0, acc01, 16);
}

/**
 * One tile's outputs from its 16 i32 products (plane e at m + e * planeBytes, channel c at lane c):
 * y = A^T M A (A^T = [[1, 1, 1, 0], [0, 1, -1, -1]]) = 4 acc, then the direct kernel's epilogue,
 * channels c0 .. c0 + channels - 1, 4 at a time, into the 2x2 outputs at `at` (the second row and
 * column only where they lie inside the output).
 */
function outputTile(
  m: usize, planeBytes: usize, packed: usize, panelBytes: usize, c0: i32, channels: i32, actScale: f32, relu: i32,
  at: usize, hasRow1: bool, hasCol1: bool, outRowBytes: usize, pixelBytes: usize,
): void {
  const p = planeBytes;
  const sa = f32x4.splat(actScale);
  const zero = f32x4.splat(0);
  for (let ch = c0; ch < c0 + channels; ch += 4) {
    const c = <usize>ch << 2;
    const o = m + c;
    // s = A^T M, column by column: s0j = m0j + m1j + m2j, s1j = m1j - m2j - m3j
    const m10 = v128.load(o + 4 * p), m20 = v128.load(o + 8 * p);
    const s00 = i32x4.add(i32x4.add(v128.load(o), m10), m20), s10 = i32x4.sub(i32x4.sub(m10, m20), v128.load(o + 12 * p));
    const m11 = v128.load(o + 5 * p), m21 = v128.load(o + 9 * p);
    const s01 = i32x4.add(i32x4.add(v128.load(o + p), m11), m21), s11 = i32x4.sub(i32x4.sub(m11, m21), v128.load(o + 13 * p));
    const m12 = v128.load(o + 6 * p), m22 = v128.load(o + 10 * p);
    const s02 = i32x4.add(i32x4.add(v128.load(o + 2 * p), m12), m22), s12 = i32x4.sub(i32x4.sub(m12, m22), v128.load(o + 14 * p));
    const m13 = v128.load(o + 7 * p), m23 = v128.load(o + 11 * p);
    const s03 = i32x4.add(i32x4.add(v128.load(o + 3 * p), m13), m23), s13 = i32x4.sub(i32x4.sub(m13, m23), v128.load(o + 15 * p));
    // y = s A, row by row: [s_i0 + s_i1 + s_i2, s_i1 - s_i2 - s_i3] = 4 acc
    const a00 = i32x4.shr_s(i32x4.add(i32x4.add(s00, s01), s02), 2);
    const a01 = i32x4.shr_s(i32x4.sub(i32x4.sub(s01, s02), s03), 2);
    const a10 = i32x4.shr_s(i32x4.add(i32x4.add(s10, s11), s12), 2);
    const a11 = i32x4.shr_s(i32x4.sub(i32x4.sub(s11, s12), s13), 2);
    // the panel head of channels ch .. ch + 3: scale at lane ch % 8, bias 8 floats on
    const head = packed + <usize>(ch / PANEL) * panelBytes + (<usize>(ch % PANEL) << 2);
    const s = f32x4.mul(sa, v128.load(head));
    const bias = v128.load(head, PANEL * 4);
    let y00 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a00), s), bias);
    let y01 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a01), s), bias);
    let y10 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a10), s), bias);
    let y11 = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(a11), s), bias);
    if (relu) {
      // pmax(y, 0) = y < 0 ? 0 : y, the spec's ReLU
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
