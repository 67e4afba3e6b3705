// Training geometry as the official code does it: a random scale and crop centre, a horizontal
// flip with p = 0.5, the image warped to the network input and the boxes moved with it, clipped to
// the input and dropped when nothing of them is left.
// image [h, w, 3] u8 + boxes (image px) -> input [H, W, 3] f32 in 0..1 + boxes (input px).
//
// Both official schemes are a scale and a shift per axis (rotation is 0 for detection), so a draw
// is one AxisAffine x' = sx * x + tx, y' = sy * y + ty, with sx < 0 when flipped:
//  - 'centernet' (CTDetDataset, rand_crop): s = max(h, w) * choice(scales), centre c drawn as
//    randint(border, size - border) per axis with border = get_border(128, size); the s-wide square
//    around c fills the input width: x' = (W / s) (x - cx) + W / 2 (get_affine_transform, rot 0).
//  - 'cornernet' (random_crop + _resize_image): the crop is floor(H * scale) x floor(W * scale) of
//    the INPUT size, centred on the drawn c with floor halves, then resized to the input:
//    x' = (x - (cx - floor(cw / 2))) * W / cw.
//  - 'saccade' (CornerNet-Lite's cornernet_saccade sampler): the image scaled to zoom on one object,
//    the input cut around it: x' = scale x - (cx - floor(W / 2)) (saccadeGeometry).
// Flip: the official code flips image and boxes with x -> W - x - 1 (pixel indices); we use
// continuous coordinates throughout (pixel i spans [i, i + 1)), where a mirror is x -> W - x with
// no -1. The random crop centre is an integer, as officially. Boxes are clipped to [0, W] x [0, H]
// (continuous; the official [0, W - 1] is the pixel-index form) and dropped unless both sides are
// > minSize (official: > 0).
import type { BoxXYXY } from './types.js';
import type { SampleRandom } from './sample-random.js';
import { clipToInput, type Box } from '../targets/objects.js';

/** np.arange(0.6, 1.4, 0.1): the official random scales. */
export const RANDOM_SCALES: readonly number[] = [0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3];
/** Official crop border before get_border halves it. */
export const CROP_BORDER = 128;

/** np.arange(0.5, 1.1, 0.1): CornerNet-Saccade's scales when no object sets one (rand_scale_min/max/step). */
export const SACCADE_SCALES: readonly number[] = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
/** CornerNet-Saccade's share of draws that zoom on one object (ref_scale: `uniform() > 0.7` draws a plain scale). */
export const SACCADE_OBJECT_SHARE = 0.7;

export type CropMode = 'centernet' | 'cornernet' | 'saccade';

/** x' = sx * x + tx, y' = sy * y + ty. */
export interface AxisAffine {
  sx: number;
  tx: number;
  sy: number;
  ty: number;
}

export interface GeometryOptions {
  /** Which official scheme draws the crop. Default 'centernet'. */
  mode?: CropMode;
  /** Scale factors drawn uniformly. Default RANDOM_SCALES. */
  scales?: readonly number[];
  /** Crop border before get_border. Default 128. */
  border?: number;
  /** Horizontal flip probability. Default 0.5. */
  flip?: number;
}

export interface GeometryDraw {
  affine: AxisAffine;
  /** The drawn scale factor. */
  scale: number;
  /** The drawn crop centre, image pixels, before the flip. */
  center: [number, number];
  flipped: boolean;
}

/** Official _get_border: halve `border` until it leaves room on both sides of an image of `size`. */
export function getBorder(border: number, size: number): number {
  let i = 1;
  while (size - Math.floor(border / i) <= Math.floor(border / i)) i *= 2;
  return Math.floor(border / i);
}

/**
 * One random draw for an image of imageW x imageH and an input of inputW x inputH. Draw order
 * (as officially): scale, centre x, centre y, flip. Mode 'saccade' draws from the image's boxes
 * (saccadeGeometry).
 */
export function randomGeometry(rng: SampleRandom, imageW: number, imageH: number, inputW: number, inputH: number, options: GeometryOptions = {}, boxes: readonly (readonly number[])[] = []): GeometryDraw {
  if (options.mode === 'saccade') return saccadeGeometry(rng, imageW, imageH, inputW, inputH, boxes, options);
  const { mode = 'centernet', scales = RANDOM_SCALES, border = CROP_BORDER, flip = 0.5 } = options;
  const scale = rng.choice(scales);
  const cx = rng.randint(getBorder(border, imageW), imageW - getBorder(border, imageW));
  const cy = rng.randint(getBorder(border, imageH), imageH - getBorder(border, imageH));
  const flipped = rng.random() < flip;
  let affine: AxisAffine;
  if (mode === 'centernet') {
    const k = inputW / (Math.max(imageW, imageH) * scale);
    affine = { sx: k, tx: inputW / 2 - k * cx, sy: k, ty: inputH / 2 - k * cy };
  } else {
    const cropW = Math.floor(inputW * scale);
    const cropH = Math.floor(inputH * scale);
    const kx = inputW / cropW;
    const ky = inputH / cropH;
    affine = { sx: kx, tx: -kx * (cx - Math.floor(cropW / 2)), sy: ky, ty: -ky * (cy - Math.floor(cropH / 2)) };
  }
  // The official code flips before the warp (CenterNet: image and centre; CornerNet: after the
  // resize); either way the result is the mirror of the input: x' -> inputW - x'.
  return { affine: flipped ? mirrored(affine, inputW) : affine, scale, center: [cx, cy], flipped };
}

/**
 * CornerNet-Saccade's draw (core/sample/cornernet_saccade.py: ref_scale, scale_image_detections,
 * crop_image_dets, crop_image, flip), which zooms on one object so that every attention map's size
 * range is trained:
 *  - with boxes (crowd regions left out by the caller), and `random() <= 0.7`: a reference object
 *    k = randint(n) among those with an area once clipped to the image (clip_detections), its longer side L set to randint(96, 255) if L > 96, else
 *    randint(32, 97) if L > 32, else randint(16, 33): scale = that / L; otherwise scale =
 *    choice(scales) (default SACCADE_SCALES) and no reference;
 *  - the image scaled by it (the official resize to int(w * scale) x int(h * scale)), then per axis
 *    (x first) a crop centre c in scaled pixels: the scaled image's centre (size // 2) where it is
 *    no larger than the input; with a reference and `random() > 0.5` drawn first ("centred"), c =
 *    randint(max(m - randint(0, 15), 0), min(m + randint(0, 15), size - 1) + 1) around its centre
 *    m = (x0 + x1) // 2; otherwise a crop that holds the reference, c = randint(max(x1 - in, 0),
 *    min(size - in, x0) + 1) + in // 2 (0 and size - in without one);
 *  - the input is the window [c - in // 2, c - in // 2 + in) of the scaled image (zeros outside);
 *  - flipped when random() > 1 - flip (officially uniform() > 0.5).
 * So x' = scale x - (cx - inW // 2), before the flip.
 */
export function saccadeGeometry(rng: SampleRandom, imageW: number, imageH: number, inputW: number, inputH: number, boxes: readonly (readonly number[])[], options: GeometryOptions = {}): GeometryDraw {
  const { scales = SACCADE_SCALES, flip = 0.5 } = options;
  let ref: Box | undefined;
  let scale: number | undefined;
  // the candidates: the boxes clipped to the image, those left with an area (clip_detections)
  const clipped = boxes.map((b) => clipToInput(b as Box, [imageH, imageW])).filter((b) => b !== undefined);
  if (clipped.length > 0 && !(rng.random() > SACCADE_OBJECT_SHARE)) {
    ref = clipped[rng.randint(0, clipped.length)];
    const side = Math.max(ref[2] - ref[0], ref[3] - ref[1]);
    scale = (side > 96 ? rng.randint(96, 255) : side > 32 ? rng.randint(32, 97) : rng.randint(16, 33)) / side;
  }
  scale ??= rng.choice(scales);
  const centred = rng.random() > 0.5;
  const centreOn = (size: number, input: number, lo?: number, hi?: number): number => {
    if (size <= input) return Math.floor(size / 2);
    if (lo === undefined || hi === undefined || !centred) {
      const min = lo === undefined ? 0 : Math.max(hi! - input, 0);
      const max = lo === undefined ? size - input : Math.min(size - input, lo);
      // a reference wider than the input leaves min > max, where numpy's randint would fail: its far side then
      return rng.randint(Math.trunc(min), Math.max(Math.trunc(min), Math.trunc(max)) + 1) + Math.floor(input / 2);
    }
    const m = Math.floor((lo + hi) / 2);
    const min = Math.max(m - rng.randint(0, 15), 0);
    const max = Math.min(m + rng.randint(0, 15), size - 1);
    return rng.randint(Math.trunc(min), Math.trunc(max) + 1);
  };
  const scaledW = Math.trunc(imageW * scale);
  const scaledH = Math.trunc(imageH * scale);
  const cx = centreOn(scaledW, inputW, ref && ref[0] * scale, ref && ref[2] * scale);
  const cy = centreOn(scaledH, inputH, ref && ref[1] * scale, ref && ref[3] * scale);
  const flipped = rng.random() > 1 - flip;
  const affine: AxisAffine = { sx: scale, tx: -(cx - Math.floor(inputW / 2)), sy: scale, ty: -(cy - Math.floor(inputH / 2)) };
  return { affine: flipped ? mirrored(affine, inputW) : affine, scale, center: [cx, cy], flipped };
}

/** The affine followed by the mirror of the input, x' -> inputW - x' (continuous coordinates). */
function mirrored(a: AxisAffine, inputW: number): AxisAffine {
  return { sx: -a.sx, tx: inputW - a.tx, sy: a.sy, ty: a.ty };
}

/**
 * The deterministic (validation) geometry of both schemes: the max(h, w) square around the image
 * centre fills the input width (CenterNet fix-res; CornerNet's full-image crop + resize), no flip.
 */
export function centredGeometry(imageW: number, imageH: number, inputW: number, inputH: number): AxisAffine {
  const k = inputW / Math.max(imageW, imageH);
  return { sx: k, tx: inputW / 2 - (k * imageW) / 2, sy: k, ty: inputH / 2 - (k * imageH) / 2 };
}

export interface TransformedBoxes {
  boxes: BoxXYXY[];
  /** Index of the source box of each kept box. */
  kept: number[];
  /** Share of each kept box's area the clipping kept (1: nothing cut off). */
  visible: number[];
}

/** Boxes through the affine, clipped to [0, inputW] x [0, inputH]; boxes with a side <= minSize dropped. */
export function transformBoxes(boxes: readonly (readonly number[])[], a: AxisAffine, inputW: number, inputH: number, minSize = 0): TransformedBoxes {
  const out: TransformedBoxes = { boxes: [], kept: [], visible: [] };
  boxes.forEach((b, k) => {
    const xa = a.sx * b[0] + a.tx;
    const xb = a.sx * b[2] + a.tx;
    const ya = a.sy * b[1] + a.ty;
    const yb = a.sy * b[3] + a.ty;
    const x1 = clip(Math.min(xa, xb), 0, inputW);
    const x2 = clip(Math.max(xa, xb), 0, inputW);
    const y1 = clip(Math.min(ya, yb), 0, inputH);
    const y2 = clip(Math.max(ya, yb), 0, inputH);
    if (!(x2 - x1 > minSize && y2 - y1 > minSize)) return;
    out.boxes.push([x1, y1, x2, y2]);
    out.kept.push(k);
    // the source box's own area through the affine (|sx sy| times it), not clipped
    out.visible.push(Math.min(1, ((x2 - x1) * (y2 - y1)) / Math.abs((xb - xa) * (yb - ya))));
  });
  return out;
}

/**
 * Bilinear warp of RGB bytes to out [outH, outW, 3] in 0..1, pixels outside the image read as 0
 * (cv2.BORDER_CONSTANT). Continuous coordinates: output pixel (i, j) has its centre at
 * (j + 0.5, i + 0.5) and samples the source at the preimage of that point, whose pixel centres are
 * likewise at +0.5. (cv2.warpAffine puts pixel centres on integers, which shifts the content
 * against the boxes by 0.5 (1 - 1 / scale) source pixels; here image and boxes move together.)
 */
export function warpImage(src: Uint8Array, srcW: number, srcH: number, a: AxisAffine, outW: number, outH: number, out: Float32Array): void {
  if (src.length !== srcW * srcH * 3) throw new Error(`warpImage: src has ${src.length} bytes, expected ${srcW}*${srcH}*3`);
  if (out.length !== outW * outH * 3) throw new Error(`warpImage: out has ${out.length} values, expected ${outW}*${outH}*3`);
  if (!(a.sx !== 0 && a.sy !== 0 && [a.sx, a.tx, a.sy, a.ty].every(Number.isFinite))) throw new Error(`warpImage: affine must be finite with non-zero scales, got ${JSON.stringify(a)}`);
  const cols = taps(outW, a.sx, a.tx, srcW, 3);
  const rows = taps(outH, a.sy, a.ty, srcH, srcW * 3);
  const k = 1 / 255;
  for (let i = 0; i < outH; i++) {
    const ra = rows.a[i];
    const rb = rows.b[i];
    const wra = rows.wa[i] * k;
    const wrb = rows.wb[i] * k;
    let o = i * outW * 3;
    if (wra === 0 && wrb === 0) {
      out.fill(0, o, o + outW * 3);
      continue;
    }
    for (let j = 0; j < outW; j++, o += 3) {
      // the four taps' weights, row weight folded in; channels unrolled
      const pa = ra + cols.a[j];
      const pb = ra + cols.b[j];
      const pc = rb + cols.a[j];
      const pd = rb + cols.b[j];
      const wa = cols.wa[j] * wra;
      const wb = cols.wb[j] * wra;
      const wc = cols.wa[j] * wrb;
      const wd = cols.wb[j] * wrb;
      out[o] = src[pa] * wa + src[pb] * wb + src[pc] * wc + src[pd] * wd;
      out[o + 1] = src[pa + 1] * wa + src[pb + 1] * wb + src[pc + 1] * wc + src[pd + 1] * wd;
      out[o + 2] = src[pa + 2] * wa + src[pb + 2] * wb + src[pc + 2] * wc + src[pd + 2] * wd;
    }
  }
}

/**
 * For each output index along one axis: the element offsets of the two source taps and their
 * bilinear weights; a tap outside the source gets weight 0 (and a harmless in-range offset).
 */
function taps(n: number, scale: number, shift: number, size: number, stride: number) {
  const a = new Int32Array(n);
  const b = new Int32Array(n);
  const wa = new Float64Array(n);
  const wb = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = (i + 0.5 - shift) / scale - 0.5;
    const i0 = Math.floor(s);
    const f = s - i0;
    const in0 = i0 >= 0 && i0 < size;
    const in1 = i0 + 1 >= 0 && i0 + 1 < size;
    a[i] = in0 ? i0 * stride : 0;
    b[i] = in1 ? (i0 + 1) * stride : 0;
    wa[i] = in0 ? 1 - f : 0;
    wb[i] = in1 ? f : 0;
  }
  return { a, b, wa, wb };
}

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
