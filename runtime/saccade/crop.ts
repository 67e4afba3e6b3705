// Crop planning and drawing of CornerNet-Saccade (official crop_image_gpu / prepare_images): a
// location (y, x, scale) becomes a square crop of int(cropSize / scale) image pixels centred on
// (int(y), int(x)), clipped to the image, resized bilinearly by cropSize / side and centred in a
// cropSize x cropSize canvas that is zero (black) elsewhere. A box found in the canvas maps back
// to the image by x / scale + offsetX (official remap_dets_).
import type { ImageSource } from '../image/source.js';
import type { Normalisation } from '../image/warp.js';

/** Where the saccade looks: image pixel centre and zoom (canvas pixels per image pixel). */
export interface Location {
  y: number;
  x: number;
  scale: number;
  /** Attention score (1 for locations from detections); orders locations. */
  score: number;
}

export interface CropPlacement {
  /** Image rows [srcY0, srcY1) and columns [srcX0, srcX1) that are drawn. */
  srcY0: number;
  srcY1: number;
  srcX0: number;
  srcX1: number;
  /** Canvas rows [outY0, outY1) and columns [outX0, outX1) they are resized onto. */
  outY0: number;
  outY1: number;
  outX0: number;
  outX1: number;
  /** Image pixel of canvas (0, 0) at the location's scale: cty - side // 2, ctx - side // 2. */
  offsetY: number;
  offsetX: number;
}

/** crop_image_gpu's arithmetic, integer division and truncation as in Python (all values >= 0 there). */
export function placeCrop(imageWidth: number, imageHeight: number, loc: Pick<Location, 'y' | 'x' | 'scale'>, cropSize: number): CropPlacement {
  const side = Math.trunc(cropSize / loc.scale);
  const half = Math.floor(side / 2);
  const cty = Math.trunc(loc.y);
  const ctx = Math.trunc(loc.x);
  // resize factor of the drawn region: canvas side over crop side (not loc.scale: side is an integer)
  const resize = cropSize / side;
  const x0 = Math.max(0, ctx - half);
  const x1 = Math.min(ctx + half, imageWidth);
  const y0 = Math.max(0, cty - half);
  const y1 = Math.min(cty + half, imageHeight);
  const centre = Math.floor(cropSize / 2);
  return {
    srcY0: y0,
    srcY1: y1,
    srcX0: x0,
    srcX1: x1,
    outY0: centre - Math.trunc((cty - y0) * resize),
    outY1: centre + Math.trunc((y1 - cty) * resize),
    outX0: centre - Math.trunc((ctx - x0) * resize),
    outX1: centre + Math.trunc((x1 - ctx) * resize),
    offsetY: cty - half,
    offsetX: ctx - half,
  };
}

/**
 * Draws a placed crop into `out` (an NHWC network input of inputWidth x inputHeight x 3, the
 * canvas in its top-left corner), normalised as the model expects: black (0) outside the drawn
 * region, the region resized as F.interpolate(mode='bilinear', align_corners=False) does it.
 */
export function drawCrop(src: ImageSource, p: CropPlacement, norm: Normalisation, out: Float32Array, inputWidth: number, inputHeight: number): void {
  if (out.length !== inputWidth * inputHeight * 3) throw new Error(`drawCrop: out has ${out.length} values, a ${inputWidth}x${inputHeight} input needs ${inputWidth * inputHeight * 3}`);
  const srcChannel = norm.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const a = norm.std.map((s) => 1 / (255 * s));
  const b = norm.mean.map((m, c) => -m / norm.std[c]);
  for (let i = 0; i < inputWidth * inputHeight; i++) {
    out[i * 3] = b[0];
    out[i * 3 + 1] = b[1];
    out[i * 3 + 2] = b[2];
  }
  const outH = Math.min(p.outY1, inputHeight) - Math.max(p.outY0, 0);
  const outW = Math.min(p.outX1, inputWidth) - Math.max(p.outX0, 0);
  const inH = p.srcY1 - p.srcY0;
  const inW = p.srcX1 - p.srcX0;
  // a location at (or past) the image edge leaves nothing to draw; the official code would fail there
  if (outH <= 0 || outW <= 0 || inH <= 0 || inW <= 0 || p.outY0 < 0 || p.outX0 < 0) return;
  const rows = bilinearTaps(p.outY1 - p.outY0, inH);
  const cols = bilinearTaps(p.outX1 - p.outX0, inW);
  const { data, width, channels } = src;
  for (let i = 0; i < outH; i++) {
    const r0 = (p.srcY0 + rows.i0[i]) * width;
    const r1 = (p.srcY0 + rows.i1[i]) * width;
    const fy = rows.f[i];
    for (let j = 0; j < outW; j++) {
      const c0 = p.srcX0 + cols.i0[j];
      const c1 = p.srcX0 + cols.i1[j];
      const fx = cols.f[j];
      const o = ((p.outY0 + i) * inputWidth + p.outX0 + j) * 3;
      for (let c = 0; c < 3; c++) {
        const sc = srcChannel[c];
        const top = data[(r0 + c0) * channels + sc] * (1 - fx) + data[(r0 + c1) * channels + sc] * fx;
        const bottom = data[(r1 + c0) * channels + sc] * (1 - fx) + data[(r1 + c1) * channels + sc] * fx;
        out[o + c] = (top * (1 - fy) + bottom * fy) * a[c] + b[c];
      }
    }
  }
}

/**
 * PyTorch's bilinear source taps for resizing n_in samples to n_out (align_corners=False):
 * source = (i + 0.5) * n_in / n_out - 0.5, clamped at 0; neighbours i0, i1 = min(i0 + 1, n_in - 1).
 */
export function bilinearTaps(nOut: number, nIn: number): { i0: Int32Array; i1: Int32Array; f: Float64Array } {
  const i0 = new Int32Array(nOut);
  const i1 = new Int32Array(nOut);
  const f = new Float64Array(nOut);
  const ratio = nIn / nOut;
  for (let i = 0; i < nOut; i++) {
    const s = Math.max((i + 0.5) * ratio - 0.5, 0);
    const lo = Math.min(Math.floor(s), nIn - 1);
    i0[i] = lo;
    i1[i] = Math.min(lo + 1, nIn - 1);
    f[i] = s - lo;
  }
  return { i0, i1, f };
}
