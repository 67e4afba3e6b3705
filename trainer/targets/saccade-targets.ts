// CornerNet-Saccade targets of one image, as the official sampler (CornerNet-Lite
// core/sample/cornernet_saccade.py) builds them: the CornerNet targets of the objects it learns
// corners from, "valid" maps that take the other objects' corners out of the corner focal loss, and
// one attention map per hourglass level with a 1 at the centre of every object of that level's size.
// boxes [n] in input pixels -> CornerNetTargets + tlValid/brValid [oh, ow, C] + attention[i] [h_i, w_i].

import { cornerNetTargets, type CornerNetTargetOptions, type CornerNetTargets } from './cornernet-targets.js';
import { checkTargetInput, clipToInput, type TargetObjects } from './objects.js';

/** Object sizes (max(w, h), input px, both ends inclusive) each attention map marks, deepest level first (official att_ranges). */
export const ATTENTION_RANGES: readonly (readonly [number, number])[] = [
  [96, 256],
  [32, 96],
  [0, 32],
];
/** Objects whose longer side (in whole input pixels) is shorter than this only mask their corners out (official min_scale). */
export const SACCADE_MIN_SCALE = 16;
/** Objects with no more than this share of their area inside the input only mask their corners out (official bbox_overlaps > 0.5). */
export const SACCADE_MIN_VISIBLE = 0.5;
/** The Gaussian radius' IoU (CornerNet_Saccade.json's gaussian_iou; CornerNet's is 0.3). */
export const SACCADE_GAUSSIAN_IOU = 0.5;

export interface AttentionGeometry {
  /** [height, width] of each attention map, deepest level first. */
  sizes: readonly (readonly [number, number])[];
  /** Input pixels per map pixel of each (official att_ratios: 16, 8, 4). */
  strides: readonly number[];
}

export interface SaccadeTargetOptions extends CornerNetTargetOptions {
  attention: AttentionGeometry;
  /** Default ATTENTION_RANGES; one per map. */
  ranges?: readonly (readonly [number, number])[];
  /** Default SACCADE_MIN_SCALE. */
  minScale?: number;
  /** Default SACCADE_MIN_VISIBLE. */
  minVisible?: number;
}

export interface SaccadeTargets extends CornerNetTargets {
  /** [oh, ow, numClasses]: 0 where an ignored object's corner Gaussian reaches, else 1. */
  tlValid: Float32Array;
  brValid: Float32Array;
  /** Per attention map [h_i * w_i]: 1 at the centres of the objects of its size range, else 0. */
  attention: Float32Array[];
  /** Objects whose corners are masked out rather than learnt. */
  ignored: number;
}

/**
 * Per object (crowd regions skipped; the box clipped to [0, iw - 1] x [0, ih - 1] and dropped
 * without area, as cornerNetTargets does):
 *  - learnt (CornerNet targets) when max(int(y2) - int(y1), int(x2) - int(x1)) >= minScale and its
 *    visible share > minVisible; otherwise its corner Gaussians are drawn into the valid maps,
 *    which become 1 where nothing was drawn (official `tl_valids == 0`);
 *  - marked in every attention map i whose range holds max(x2 - x1, y2 - y1), learnt or not, at
 *    (int(cx / stride_i), int(cy / stride_i)) of its centre (create_attention_mask).
 * The Gaussian radius is CornerNet-Lite's (gaussianRadiusLite) at IoU 0.5 unless opts.radius and
 * opts.minOverlap say otherwise.
 */
export function saccadeTargets(objects: TargetObjects, opts: SaccadeTargetOptions): SaccadeTargets {
  checkTargetInput('saccadeTargets', objects, opts);
  const { sizes, strides } = opts.attention ?? {};
  const ranges = opts.ranges ?? ATTENTION_RANGES;
  if (!Array.isArray(sizes) || !Array.isArray(strides)) throw new Error('saccadeTargets: attention must be { sizes, strides }, one of each per attention map');
  if (sizes.length !== strides.length || sizes.length !== ranges.length) {
    throw new Error(`saccadeTargets: ${sizes.length} attention map sizes, ${strides.length} strides and ${ranges.length} size ranges: give one of each per map`);
  }
  sizes.forEach(([h, w], i) => {
    if (!(Number.isInteger(h) && h >= 1 && Number.isInteger(w) && w >= 1)) throw new Error(`saccadeTargets: attention.sizes[${i}] must be [height, width] positive integers, got [${sizes[i]}]`);
    if (!(strides[i] > 0 && Number.isFinite(strides[i]))) throw new Error(`saccadeTargets: attention.strides[${i}] must be a positive number, got ${strides[i]}`);
  });
  const minScale = opts.minScale ?? SACCADE_MIN_SCALE;
  const minVisible = opts.minVisible ?? SACCADE_MIN_VISIBLE;
  const cornerOptions: CornerNetTargetOptions = { ...opts, minOverlap: opts.minOverlap ?? SACCADE_GAUSSIAN_IOU, radius: opts.radius ?? 'cornernet-lite' };

  const attention = sizes.map(([h, w]) => new Float32Array(h * w));
  const learnt: number[] = [];
  const ignoredObjects: number[] = [];
  objects.boxes.forEach((box, k) => {
    if (objects.iscrowd?.[k]) return;
    const clipped = clipToInput(box, opts.inputSize);
    if (!clipped) return;
    const [x1, y1, x2, y2] = clipped;
    const side = Math.max(x2 - x1, y2 - y1);
    ranges.forEach(([lo, hi], i) => {
      if (side < lo || side > hi) return;
      const [h, w] = sizes[i];
      // the official index can only leave the map at other input sizes than 255: clamped, not thrown
      const x = Math.min(Math.trunc((x1 + x2) / 2 / strides[i]), w - 1);
      const y = Math.min(Math.trunc((y1 + y2) / 2 / strides[i]), h - 1);
      attention[i][y * w + x] = 1;
    });
    const wholeSide = Math.max(Math.trunc(y2) - Math.trunc(y1), Math.trunc(x2) - Math.trunc(x1));
    const visible = objects.visible?.[k] ?? 1;
    (wholeSide >= minScale && visible > minVisible ? learnt : ignoredObjects).push(k);
  });

  const subset = (ks: number[]): TargetObjects => ({ boxes: ks.map((k) => objects.boxes[k]), classIds: ks.map((k) => objects.classIds[k]) });
  const targets = cornerNetTargets(subset(learnt), cornerOptions);
  // the ignored objects' Gaussians, drawn exactly as learnt ones would be: their heatmaps are the masks
  const ignored = cornerNetTargets(subset(ignoredObjects), { ...cornerOptions, maxObjs: Math.max(1, ignoredObjects.length) });
  const valid = (drawn: Float32Array) => drawn.map((v) => (v === 0 ? 1 : 0));
  return { ...targets, tlValid: valid(ignored.tlHeatmap), brValid: valid(ignored.brHeatmap), attention, ignored: ignoredObjects.length };
}
