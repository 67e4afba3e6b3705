// Selection ops: top-K over a float array, heatmap peaks (max-pool NMS fused with top-K), hard NMS and
// soft-NMS over boxes; public ops (DESIGN.md) and pointer-level entry points (*Into) for callers
// that already hold their data on the kernel heap.
import { kernels, type Kernels } from '../wasm/loader.js';
import { checkBuffer, withScope } from './heap-scope.js';
import { checkNonNegativeInt, checkPositiveInt, checkTensor, describe, type Tensor } from './tensor.js';
import { checkOptionNames } from '../util/options.js';

export interface TopK {
  values: Float32Array;
  indices: Int32Array;
}

/** Pointer level: the best k of values [n] into outValues [k] and outIndices [k] (i32), 0 <= k <= n. */
export function topKInto(kn: Kernels, values: number, n: number, k: number, outValues: number, outIndices: number): void {
  const op = 'topKInto';
  checkNonNegativeInt(op, 'n', n);
  checkK(op, k, n);
  checkBuffer(op, 'values', kn, values, n * 4);
  checkBuffer(op, 'outValues', kn, outValues, k * 4);
  checkBuffer(op, 'outIndices', kn, outIndices, k * 4);
  if (k > 0) kn.exports.topKF32(values, n, k, outValues, outIndices);
}

/**
 * The k largest values, largest first; equal values in index order (lower index first). NaN ranks
 * below every number, -Infinity included, so NaNs are returned only when k exceeds the count of
 * numbers (then in index order). k must be an integer in [0, values.length].
 */
export function topK(values: Float32Array, k: number): TopK {
  if (!(values instanceof Float32Array)) throw new Error(`topK: values must be a Float32Array, got ${describe(values)}`);
  checkK('topK', k, values.length);
  const kn = kernels();
  return withScope(kn, (s) => {
    const pv = s.f32(values);
    const ov = s.alloc(k * 4);
    const oi = s.alloc(k * 4);
    if (k > 0) kn.exports.topKF32(pv, values.length, k, ov, oi);
    return { values: s.readF32(ov, k), indices: s.readI32(oi, k) };
  });
}

export interface Peaks {
  /** Peak scores, descending. */
  scores: Float32Array;
  /** Channel (class id) of each peak. */
  classes: Int32Array;
  /** Row of each peak. */
  ys: Int32Array;
  /** Column of each peak. */
  xs: Int32Array;
}

export interface PeaksOptions {
  /** How many peaks (default 100); at most h * w * c. */
  k?: number;
  /** Odd side of the max-pool neighbourhood (default 3). */
  kernel?: number;
}

/**
 * Pointer level: the peaks of one NHWC heatmap [h, w, c] on the kernel heap (see heatmapPeaks).
 * The fused kernel finds the best k positive peaks without building the pooled map; when there are
 * fewer than k, the masked map is built in scratch and ranked whole, so the zeros rank as PyTorch's
 * topk over `heat * (hmax == heat)` ranks them.
 */
export function heatmapPeaksAt(kn: Kernels, heat: number, h: number, w: number, c: number, k: number, kernel: number, logits = false): Peaks {
  const op = 'heatmapPeaks';
  [h, w, c].forEach((d, i) => checkNonNegativeInt(op, ['h', 'w', 'c'][i], d));
  const cells = h * w * c;
  checkPositiveInt(op, 'kernel', kernel);
  if (kernel % 2 !== 1) throw new Error(`${op}: kernel must be odd (a centred neighbourhood), got ${kernel}`);
  checkK(op, k, cells);
  checkBuffer(op, 'heat', kn, heat, cells * 4);
  return withScope(kn, (s) => {
    const scores = s.alloc(k * 4);
    const flat = s.alloc(k * 4);
    const peaks = logits ? kn.exports.heatmapPeaksLogitsNhwc : kn.exports.heatmapPeaksNhwc;
    const found = k > 0 ? peaks(heat, h, w, c, kernel, k, scores, flat) : 0;
    if (found < k) {
      let probs = heat;
      if (logits) {
        probs = s.alloc(cells * 4);
        kn.exports.sigmoidF32(heat, probs, cells);
      }
      const mask = s.alloc(cells * 4);
      kn.exports.peaksMaskNhwc(probs, h, w, c, kernel, mask);
      kn.exports.topKF32(mask, cells, k, scores, flat);
    }
    const idx = kn.heap.i32(flat, k);
    const classes = new Int32Array(k);
    const ys = new Int32Array(k);
    const xs = new Int32Array(k);
    for (let i = 0; i < k; i++) {
      const pixel = Math.floor(idx[i] / c);
      classes[i] = idx[i] - pixel * c;
      ys[i] = Math.floor(pixel / w);
      xs[i] = pixel - ys[i] * w;
    }
    return { scores: s.readF32(scores, k), classes, ys, xs };
  });
}

/**
 * Peaks of a heatmap of probabilities, NHWC [h, w, c] or [1, h, w, c]: a cell is a peak when it
 * equals the max of its kernel x kernel neighbourhood in its channel (-infinity padding; equal
 * neighbours both survive), the official decodes' `hmax == heat` test. Returns the top k of
 * `heat * (hmax == heat)` over all classes and positions, score-descending; equal scores in flat
 * NHWC index order ((y * w + x) * c + class, lower first). So when fewer than k cells are positive
 * peaks, the rest are zeros (non-peaks, in index order), as PyTorch's topk over the masked map
 * returns them. NaN is never a peak and keeps its neighbours from being peaks.
 */
export function heatmapPeaks(heat: Tensor, opts: PeaksOptions = {}): Peaks {
  return peaksOf('heatmapPeaks', heat, opts, false);
}

/**
 * heatmapPeaks(sigmoid(logits)), exactly, without the sigmoid of the whole map (the decodes' path
 * from raw heads): only cells that can still make the top k are turned into probabilities.
 */
export function heatmapPeaksOfLogits(logits: Tensor, opts: PeaksOptions = {}): Peaks {
  return peaksOf('heatmapPeaks', logits, opts, true);
}

function peaksOf(op: string, heat: Tensor, opts: PeaksOptions, logits: boolean): Peaks {
  checkTensor(op, 'heat', heat);
  const shape = heat.shape;
  if (shape.length === 4 && shape[0] !== 1) {
    throw new Error(`${op}: heat must hold one image ([1, h, w, c] or [h, w, c]), got shape [${shape}]: call it once per image`);
  }
  if (shape.length !== 3 && shape.length !== 4) throw new Error(`${op}: heat must have shape [h, w, c] or [1, h, w, c], got [${shape}]`);
  const [h, w, c] = shape.slice(-3);
  if (typeof opts !== 'object' || opts === null) throw new Error(`${op}: options must be an object { k?, kernel? }, got ${String(opts)}`);
  checkOptionNames(op, 'options', opts, ['k', 'kernel']);
  const k = opts.k ?? 100;
  const kernel = opts.kernel ?? 3;
  checkPositiveInt(op, 'kernel', kernel);
  if (kernel % 2 !== 1) throw new Error(`${op}: kernel must be odd (a centred neighbourhood), got ${kernel}`);
  checkK(op, k, h * w * c);
  const kn = kernels();
  return withScope(kn, (s) => heatmapPeaksAt(kn, s.f32(heat.data), h, w, c, k, kernel, logits));
}

export interface NmsOptions {
  /** A box is suppressed by a kept box when their IoU is greater than this, in [0, 1]. */
  iouThreshold: number;
}

/** Bytes of scratch nmsInto needs for n boxes. */
export function nmsScratchBytes(n: number): number {
  return 8 * ceil4(n) * 4;
}

/** Pointer level: kept indices of boxes [n, 4] / scores [n] into keep [n] (i32); returns the count. */
export function nmsInto(kn: Kernels, boxes: number, scores: number, n: number, iouThreshold: number, scratch: number, keep: number): number {
  const op = 'nmsInto';
  checkNonNegativeInt(op, 'n', n);
  checkIou(op, iouThreshold);
  checkBuffer(op, 'boxes', kn, boxes, n * 16);
  checkBuffer(op, 'scores', kn, scores, n * 4);
  checkBuffer(op, 'scratch', kn, scratch, nmsScratchBytes(n));
  checkBuffer(op, 'keep', kn, keep, n * 4);
  return kn.exports.nmsF32(boxes, scores, n, iouThreshold, scratch, keep);
}

/**
 * Greedy hard NMS: boxes [n * 4] as [x1, y1, x2, y2] (continuous coordinates, area = (x2 - x1) *
 * (y2 - y1)), scores [n]. Visits boxes by score (ties: lower index) and keeps a box unless a kept
 * box overlaps it with IoU > iouThreshold. Returns the kept indices in that order.
 */
export function nms(boxes: Float32Array, scores: Float32Array, opts: NmsOptions): Int32Array {
  const op = 'nms';
  const n = checkBoxes(op, boxes, scores);
  if (typeof opts !== 'object' || opts === null) throw new Error(`${op}: options { iouThreshold } are required`);
  checkOptionNames(op, 'options', opts, ['iouThreshold']);
  checkIou(op, opts.iouThreshold);
  const kn = kernels();
  return withScope(kn, (s) => {
    const pb = s.f32(boxes);
    const ps = s.f32(scores);
    const scratch = s.alloc(nmsScratchBytes(n));
    const keep = s.alloc(n * 4);
    const count = kn.exports.nmsF32(pb, ps, n, opts.iouThreshold, scratch, keep);
    return s.readI32(keep, count);
  });
}

export type SoftNmsMethod = 'linear' | 'gaussian' | 'hard';

export interface SoftNmsOptions {
  method: SoftNmsMethod;
  /** linear and hard decay boxes whose IoU with the selected one is greater than this (default 0.5). */
  iouThreshold?: number;
  /** gaussian decay exp(-iou^2 / sigma) (default 0.5). */
  sigma?: number;
  /** A box is dropped once its score is below this (default 0.001). */
  scoreThreshold?: number;
}

export interface SoftNmsResult {
  indices: Int32Array;
  scores: Float32Array;
}

/** The original Cython's method numbers, as assembly/select/softnms-weight.ts defines them. */
const SOFT_NMS_METHODS: Record<SoftNmsMethod, number> = { hard: 0, linear: 1, gaussian: 2 };

/** Bytes of scratch softNmsInto needs for n boxes. */
export function softNmsScratchBytes(n: number): number {
  return 7 * ceil4(n) * 4;
}

/** Validated soft-NMS parameters (defaults filled in) and the kernel's method number. */
export function softNmsParams(op: string, opts: SoftNmsOptions): { method: number; iouThreshold: number; sigma: number; scoreThreshold: number } {
  if (typeof opts !== 'object' || opts === null) throw new Error(`${op}: options { method, iouThreshold?, sigma?, scoreThreshold? } are required`);
  checkOptionNames(op, 'options', opts, ['method', 'iouThreshold', 'sigma', 'scoreThreshold']);
  const method = typeof opts.method === 'string' && Object.hasOwn(SOFT_NMS_METHODS, opts.method) ? SOFT_NMS_METHODS[opts.method] : undefined;
  if (method === undefined) throw new Error(`${op}: method must be 'linear', 'gaussian' or 'hard', got ${JSON.stringify(opts.method)}`);
  const iouThreshold = opts.iouThreshold ?? 0.5;
  const sigma = opts.sigma ?? 0.5;
  const scoreThreshold = opts.scoreThreshold ?? 0.001;
  checkIou(op, iouThreshold);
  if (typeof sigma !== 'number' || !(sigma > 0) || !Number.isFinite(sigma)) throw new Error(`${op}: sigma must be a positive finite number, got ${String(sigma)}`);
  if (typeof scoreThreshold !== 'number' || !Number.isFinite(scoreThreshold)) throw new Error(`${op}: scoreThreshold must be a finite number, got ${String(scoreThreshold)}`);
  return { method, iouThreshold, sigma, scoreThreshold };
}

/** Pointer level: soft-NMS of boxes [n, 4] / scores [n] into outIndices [n] (i32) / outScores [n]; returns the count. */
export function softNmsInto(
  kn: Kernels, boxes: number, scores: number, n: number, opts: SoftNmsOptions, scratch: number, outIndices: number, outScores: number,
): number {
  const op = 'softNmsInto';
  checkNonNegativeInt(op, 'n', n);
  const p = softNmsParams(op, opts);
  checkBuffer(op, 'boxes', kn, boxes, n * 16);
  checkBuffer(op, 'scores', kn, scores, n * 4);
  checkBuffer(op, 'scratch', kn, scratch, softNmsScratchBytes(n));
  checkBuffer(op, 'outIndices', kn, outIndices, n * 4);
  checkBuffer(op, 'outScores', kn, outScores, n * 4);
  return kn.exports.softNmsF32(boxes, scores, n, p.method, p.iouThreshold, p.sigma, p.scoreThreshold, scratch, outIndices, outScores);
}

/**
 * Soft-NMS (Bodla et al. 2017), boxes [n * 4] as [x1, y1, x2, y2], scores [n]: repeatedly select the
 * remaining box with the highest score (ties: lower index), then decay the score of every remaining
 * box that overlaps it: linear by (1 - iou) when iou > iouThreshold, gaussian by exp(-iou^2 / sigma),
 * hard to 0 when iou > iouThreshold; a box is dropped once its score is below scoreThreshold
 * (boxes that start below it are dropped up front). Returns the selected indices and their scores
 * at selection, in selection order.
 */
export function softNms(boxes: Float32Array, scores: Float32Array, opts: SoftNmsOptions): SoftNmsResult {
  const op = 'softNms';
  const n = checkBoxes(op, boxes, scores);
  const p = softNmsParams(op, opts);
  const kn = kernels();
  return withScope(kn, (s) => {
    const pb = s.f32(boxes);
    const ps = s.f32(scores);
    const scratch = s.alloc(softNmsScratchBytes(n));
    const oi = s.alloc(n * 4);
    const os = s.alloc(n * 4);
    const count = kn.exports.softNmsF32(pb, ps, n, p.method, p.iouThreshold, p.sigma, p.scoreThreshold, scratch, oi, os);
    return { indices: s.readI32(oi, count), scores: s.readF32(os, count) };
  });
}

function checkK(op: string, k: unknown, n: number): void {
  checkNonNegativeInt(op, 'k', k);
  if ((k as number) > n) throw new Error(`${op}: k (${k}) is larger than the number of candidates (${n})`);
}

function checkIou(op: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${op}: iouThreshold must be a number in [0, 1], got ${String(v)}`);
}

/** Checks boxes [n * 4] (finite, x1 <= x2, y1 <= y2) and scores [n] (finite); returns n. */
function checkBoxes(op: string, boxes: unknown, scores: unknown): number {
  if (!(boxes instanceof Float32Array)) throw new Error(`${op}: boxes must be a Float32Array of n * 4 values [x1, y1, x2, y2], got ${describe(boxes)}`);
  if (!(scores instanceof Float32Array)) throw new Error(`${op}: scores must be a Float32Array, got ${describe(scores)}`);
  if (boxes.length % 4 !== 0) throw new Error(`${op}: boxes has ${boxes.length} values, not a multiple of 4 ([x1, y1, x2, y2] per box)`);
  const n = boxes.length / 4;
  if (scores.length !== n) throw new Error(`${op}: scores has ${scores.length} values but boxes has ${n} boxes`);
  for (let i = 0; i < n; i++) {
    const x1 = boxes[4 * i];
    const y1 = boxes[4 * i + 1];
    const x2 = boxes[4 * i + 2];
    const y2 = boxes[4 * i + 3];
    if (!Number.isFinite(x1 + y1 + x2 + y2)) throw new Error(`${op}: box ${i} has a non-finite coordinate [${x1}, ${y1}, ${x2}, ${y2}]`);
    if (x2 < x1 || y2 < y1) throw new Error(`${op}: box ${i} [${x1}, ${y1}, ${x2}, ${y2}] has x2 < x1 or y2 < y1 (boxes are [x1, y1, x2, y2])`);
    if (!Number.isFinite(scores[i])) throw new Error(`${op}: scores[${i}] is ${scores[i]}, scores must be finite`);
  }
  return n;
}

function ceil4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
