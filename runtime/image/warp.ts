// Image (RGB/RGBA, 0..255) + transform -> normalised network input [1, inputHeight, inputWidth, 3].
// Each input pixel (i, j) samples the original at ((j - offsetX) / scale, (i - offsetY) / scale),
// pixel centres on integers, as cv2.warpAffine does; bilinear, with pixels outside the image read
// as 0 (cv2.BORDER_CONSTANT) before normalisation, so padding becomes -mean / std. Unlike OpenCV
// the sub-pixel weights are exact (it rounds them to 1/32), and a large downscale is sampled, not
// averaged (as officially).
import type { Tensor } from '../ops/tensor.js';
import type { ImageSource } from './source.js';
import type { ImageTransform } from './transform.js';

export interface Normalisation {
  /** Per-channel mean and std on the 0..1 scale (value / 255), in the order of channelOrder. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Channel order the network expects: 'rgb', or 'bgr' for models trained on OpenCV images (the official weights). */
  channelOrder: 'rgb' | 'bgr';
}

/**
 * Another implementation of warpNormalise with the same results (runtime/wasm/warp.ts: the wasm
 * kernel), given the checked arguments; `out` has the right length.
 */
export type Warper = (src: ImageSource, t: ImageTransform, norm: Normalisation, out: Float32Array | undefined) => Tensor;

/** What the sampling loop needs: taps per output column and row, channel map, affine v * a + b. */
export interface WarpSetup {
  cols: Taps;
  rows: Taps;
  /** Source channel feeding each output channel. */
  srcChannel: [number, number, number];
  a: [number, number, number];
  b: [number, number, number];
}

export function warpSetup(t: ImageTransform, norm: Normalisation): WarpSetup {
  const srcChannel: [number, number, number] = norm.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const a = norm.std.map((s) => 1 / (255 * s)) as [number, number, number];
  const b = norm.mean.map((m, c) => -m / norm.std[c]) as [number, number, number];
  return { cols: taps(t.inputWidth, t.offsetX, t.scale), rows: taps(t.inputHeight, t.offsetY, t.scale), srcChannel, a, b };
}

/**
 * `out` (optional) receives the input in place of a new array: a detector passes its network's
 * input buffer. `warper`: the same computation elsewhere (the detector's wasm kernel).
 */
export function warpNormalise(src: ImageSource, t: ImageTransform, norm: Normalisation, out?: Float32Array, warper?: Warper): Tensor {
  const { inputWidth: outW, inputHeight: outH } = t;
  if (out !== undefined && out.length !== outH * outW * 3) {
    throw new Error(`warpNormalise: out has ${out.length} values, the ${outW}x${outH} input needs ${outH * outW * 3}`);
  }
  if (warper) return warper(src, t, norm, out);
  out ??= new Float32Array(outH * outW * 3);
  const { cols, rows, srcChannel, a, b } = warpSetup(t, norm);
  const { data, width, height, channels } = src;
  // Pixel (x, y) channel c, 0 outside the image.
  const px = (x: number, y: number, c: number) => (x < 0 || y < 0 || x >= width || y >= height ? 0 : data[(y * width + x) * channels + c]);
  const [s0, s1, s2] = srcChannel;
  const [a0, a1, a2] = a;
  const [b0, b1, b2] = b;
  const rowStride = width * channels;
  for (let i = 0; i < outH; i++) {
    const y0 = rows.i0[i];
    const fy = rows.f[i];
    const gy = 1 - fy;
    const rowsInside = y0 >= 0 && y0 + 1 < height;
    for (let j = 0; j < outW; j++) {
      const x0 = cols.i0[j];
      const fx = cols.f[j];
      const o = (i * outW + j) * 3;
      if (rowsInside && x0 >= 0 && x0 + 1 < width) {
        // all four taps inside: read them directly. Written out per channel, with the same operations
        // in the same order as the general case below (so the same values): a first detect() runs
        // this before the JIT has compiled it, where every call and temporary counts.
        const p = y0 * rowStride + x0 * channels;
        const q = p + rowStride;
        const gx = 1 - fx;
        let top = data[p + s0] * gx + data[p + channels + s0] * fx;
        let bottom = data[q + s0] * gx + data[q + channels + s0] * fx;
        out[o] = (top * gy + bottom * fy) * a0 + b0;
        top = data[p + s1] * gx + data[p + channels + s1] * fx;
        bottom = data[q + s1] * gx + data[q + channels + s1] * fx;
        out[o + 1] = (top * gy + bottom * fy) * a1 + b1;
        top = data[p + s2] * gx + data[p + channels + s2] * fx;
        bottom = data[q + s2] * gx + data[q + channels + s2] * fx;
        out[o + 2] = (top * gy + bottom * fy) * a2 + b2;
        continue;
      }
      for (let c = 0; c < 3; c++) {
        const sc = srcChannel[c];
        const top = px(x0, y0, sc) * (1 - fx) + px(x0 + 1, y0, sc) * fx;
        const bottom = px(x0, y0 + 1, sc) * (1 - fx) + px(x0 + 1, y0 + 1, sc) * fx;
        out[o + c] = (top * (1 - fy) + bottom * fy) * a[c] + b[c];
      }
    }
  }
  return { data: out, shape: [1, outH, outW, 3] };
}

/** For each output index: the source index left of (or at) the sample and the weight of the next one. */
export interface Taps {
  i0: Int32Array;
  f: Float64Array;
}

function taps(n: number, offset: number, scale: number): Taps {
  const i0 = new Int32Array(n);
  const f = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = (i - offset) / scale;
    const fl = Math.floor(s);
    i0[i] = fl;
    f[i] = s - fl;
  }
  return { i0, f };
}
