// Weight gradients of NHWC convolutions on plain Float32Arrays, for the tfjs cpu backend (and the
// wasm backend's cpu fallback). tfjs-backend-cpu 4.22 computes these through TensorBuffer.get
// per element, which made them ~90% of a training step; these loops read both operands in memory
// order and accumulate in float64.
//   conv:      x [n, h, w, cin], dy [n, oh, ow, cout] -> dw [kh, kw, cin, cout]
//   depthwise: x [n, h, w, cin], dy [n, oh, ow, cin * mult] -> dw [kh, kw, cin, mult]

/** The geometry fields of tfjs's Conv2DInfo these kernels read. */
export interface ConvGeometryInfo {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  filterHeight: number;
  filterWidth: number;
  padInfo: { top: number; left: number };
}

/** dw[ky, kx, ci, co] = sum over n, oy, ox of x[n, oy sh - top + ky dh, ox sw - left + kx dw, ci] dy[n, oy, ox, co]. */
export function conv2dBackpropFilter(x: Float32Array, dy: Float32Array, g: ConvGeometryInfo): Float32Array {
  const { inChannels: cin, outChannels: cout } = g;
  const dw = new Float32Array(g.filterHeight * g.filterWidth * cin * cout);
  const acc = new Float64Array(cin * cout);
  forEachTap(g, (ky, kx, xOffset, dyOffset) => {
    for (let ci = 0; ci < cin; ci++) {
      const xv = x[xOffset + ci];
      if (xv === 0) continue; // post-ReLU maps are mostly zeros
      const a = ci * cout;
      for (let co = 0; co < cout; co++) acc[a + co] += xv * dy[dyOffset + co];
    }
  }, (ky, kx) => {
    const base = (ky * g.filterWidth + kx) * cin * cout;
    for (let i = 0; i < acc.length; i++) dw[base + i] = acc[i];
    acc.fill(0);
  });
  return dw;
}

/** dw[ky, kx, c, m] = sum over n, oy, ox of x[..., c] dy[n, oy, ox, c * mult + m]. */
export function depthwiseBackpropFilter(x: Float32Array, dy: Float32Array, g: ConvGeometryInfo): Float32Array {
  const { inChannels: cin, outChannels: cout } = g;
  const mult = cout / cin;
  const dw = new Float32Array(g.filterHeight * g.filterWidth * cout);
  const acc = new Float64Array(cout);
  forEachTap(g, (ky, kx, xOffset, dyOffset) => {
    for (let c = 0; c < cin; c++) {
      const xv = x[xOffset + c];
      if (xv === 0) continue;
      for (let m = 0; m < mult; m++) acc[c * mult + m] += xv * dy[dyOffset + c * mult + m];
    }
  }, (ky, kx) => {
    const base = (ky * g.filterWidth + kx) * cout;
    for (let i = 0; i < cout; i++) dw[base + i] = acc[i];
    acc.fill(0);
  });
  return dw;
}

/**
 * For every filter tap (ky, kx), calls visit(ky, kx, xOffset, dyOffset) for each output pixel whose
 * input pixel under that tap lies inside the image (offsets of the channel vectors), then done(ky, kx).
 */
function forEachTap(
  g: ConvGeometryInfo,
  visit: (ky: number, kx: number, xOffset: number, dyOffset: number) => void,
  done: (ky: number, kx: number) => void,
): void {
  const { inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = g;
  for (let ky = 0; ky < g.filterHeight; ky++) {
    const dyRow = ky * g.dilationHeight - g.padInfo.top; // input row = oy * sh + dyRow
    const oyMin = Math.max(0, Math.ceil(-dyRow / sh));
    const oyMax = Math.min(oh, Math.floor((h - 1 - dyRow) / sh) + 1);
    for (let kx = 0; kx < g.filterWidth; kx++) {
      const dxCol = kx * g.dilationWidth - g.padInfo.left;
      const oxMin = Math.max(0, Math.ceil(-dxCol / sw));
      const oxMax = Math.min(ow, Math.floor((w - 1 - dxCol) / sw) + 1);
      for (let n = 0; n < g.batchSize; n++) {
        for (let oy = oyMin; oy < oyMax; oy++) {
          const iy = oy * sh + dyRow;
          for (let ox = oxMin; ox < oxMax; ox++) {
            const ix = ox * sw + dxCol;
            visit(ky, kx, ((n * h + iy) * w + ix) * g.inChannels, ((n * oh + oy) * ow + ox) * g.outChannels);
          }
        }
      }
      done(ky, kx);
    }
  }
}
