// Weight packing, once per model load, into the order the micro-kernels read. GEMM panels (conv and
// transposed conv): per group, per block of 8 output channels, bias[8] then one row of 8 weights per
// reduction step, zero-padded past cout. Depthwise: bias[c] then the HWIO weights [kh*kw, c] as is.
import { copyBytes, zeroBytes } from './memory';

/** Output channels per panel: the micro-kernels' tile width (two f32x4 accumulators per row). */
export const PANEL: i32 = 8;

/** Floats of one panel: bias row + k rows. */
// @ts-ignore: decorator
@inline
function panelFloats(k: i32): i32 {
  return PANEL + k * PANEL;
}

/** Floats taken by packGemmWeights for ks taps x kc channels per group. */
export function gemmPackedFloats(ks: i32, kc: i32, coutG: i32, groups: i32): i32 {
  return groups * ((coutG + PANEL - 1) / PANEL) * panelFloats(ks * kc);
}

/**
 * HWIO wts [ks, kc, cout] (ks = kh*kw taps, kc = cin/groups, cout = groups*coutG), bias [cout]
 * -> out [groups][ceil(coutG/8)][bias 8 | ks*kc rows of 8]: reduction index kk = tap*kc + ci.
 */
export function packGemmWeights(wts: usize, ks: i32, kc: i32, cout: i32, groups: i32, bias: usize, hasBias: i32, out: usize): void {
  const coutG = cout / groups;
  const k = ks * kc;
  let dst = out;
  for (let g = 0; g < groups; g++) {
    for (let j = 0; j < coutG; j += PANEL) {
      const nc = min<i32>(PANEL, coutG - j);
      const co0 = g * coutG + j;
      for (let c = 0; c < PANEL; c++) {
        store<f32>(dst + (<usize>c << 2), hasBias && c < nc ? load<f32>(bias + (<usize>(co0 + c) << 2)) : 0);
      }
      dst += <usize>PANEL << 2;
      for (let kk = 0; kk < k; kk++) {
        for (let c = 0; c < PANEL; c++) {
          store<f32>(dst + (<usize>c << 2), c < nc ? load<f32>(wts + ((<usize>kk * cout + co0 + c) << 2)) : 0);
        }
        dst += <usize>PANEL << 2;
      }
    }
  }
}

/** Taps of a transposed-conv phase along one axis: kernel offsets q, q + s, q + 2s, ... below k. */
// @ts-ignore: decorator
@inline
export function phaseTaps(q: i32, k: i32, s: i32): i32 {
  return q < k ? (k - q + s - 1) / s : 0;
}

/** Floats taken by packDeconvWeights. */
export function deconvPackedFloats(kh: i32, kw: i32, sh: i32, sw: i32, cin: i32, cout: i32): i32 {
  const panels = (cout + PANEL - 1) / PANEL;
  let total = 0;
  for (let qy = 0; qy < sh; qy++) {
    for (let qx = 0; qx < sw; qx++) {
      total += panels * panelFloats(phaseTaps(qy, kh, sh) * phaseTaps(qx, kw, sw) * cin);
    }
  }
  return total;
}

/**
 * Transposed-conv weights [kh, kw, cout, cin] -> one GEMM panel set per output phase (qy, qx) =
 * ((oy + padTop) mod sh, (ox + padLeft) mod sw), qy outer: the taps ky = qy + ty*sh, kx = qx + tx*sw
 * (ty, tx row-major), then ci, form the reduction index. Phases with no taps hold only bias rows.
 */
export function packDeconvWeights(wts: usize, kh: i32, kw: i32, sh: i32, sw: i32, cin: i32, cout: i32, bias: usize, hasBias: i32, out: usize): void {
  let dst = out;
  for (let qy = 0; qy < sh; qy++) {
    for (let qx = 0; qx < sw; qx++) {
      const tY = phaseTaps(qy, kh, sh);
      const tX = phaseTaps(qx, kw, sw);
      for (let j = 0; j < cout; j += PANEL) {
        const nc = min<i32>(PANEL, cout - j);
        for (let c = 0; c < PANEL; c++) {
          store<f32>(dst + (<usize>c << 2), hasBias && c < nc ? load<f32>(bias + (<usize>(j + c) << 2)) : 0);
        }
        dst += <usize>PANEL << 2;
        for (let ty = 0; ty < tY; ty++) {
          for (let tx = 0; tx < tX; tx++) {
            const ky = qy + ty * sh;
            const kx = qx + tx * sw;
            for (let ci = 0; ci < cin; ci++) {
              for (let c = 0; c < PANEL; c++) {
                const src = wts + ((((<usize>ky * kw + kx) * cout + j + c) * cin + ci) << 2);
                store<f32>(dst + (<usize>c << 2), c < nc ? load<f32>(src) : 0);
              }
              dst += <usize>PANEL << 2;
            }
          }
        }
      }
    }
  }
}

/** Depthwise: HWIO wts [ks, 1, c], bias [c] -> out [bias c | wts ks*c]. */
export function packDepthwiseWeights(wts: usize, ks: i32, c: i32, bias: usize, hasBias: i32, out: usize): void {
  const biasBytes = <usize>c << 2;
  if (hasBias) copyBytes(out, bias, biasBytes);
  else zeroBytes(out, biasBytes);
  copyBytes(out + biasBytes, wts, <usize>ks * biasBytes);
}
