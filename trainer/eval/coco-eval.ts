// COCO box metrics, computed the way pycocotools' COCOeval (iouType 'bbox') computes them, step for
// step: evaluateImg (per image and category matching), accumulate (precision/recall over the
// dataset) and summarize (the twelve numbers). Floating-point operations are done in the same order
// as the Python/C code, including numpy's linspace thresholds and its pairwise summation in
// np.mean, so the numbers agree to the last bit with pycocotools on the same input.
//
// Deliberate differences, all about malformed input (pycocotools would crash or silently skip):
// - a detection whose image_id is not a ground-truth image is an Error (pycocotools asserts);
// - a detection whose category_id is not a ground-truth category is an Error (pycocotools ignores it);
// - ground truth must have unique annotation ids, known image and category ids, finite boxes;
// - a missing `iscrowd` counts as 0 (pycocotools raises KeyError);
// - no detections at all is allowed (pycocotools' loadRes raises IndexError): every AP/AR is 0
//   where there is ground truth.
// Faithfully reproduced quirk: a detection matched to a ground truth whose annotation id is 0 is
// counted as unmatched in accumulate (pycocotools stores the matched id and tests it for != 0).
import type { CocoJson, CocoResult, ImageId } from '../data/types.js';
import { FLOAT64_EPS, linspace, numpyMean, searchsortedLeft, stableArgsortDesc } from './numpy.js';

export interface AreaRange {
  label: string;
  /** Inclusive `[min, max]` on the annotation's `area` (ground truth) or box w*h (detections). */
  range: [number, number];
}

export interface CocoEvalOptions {
  /**
   * Detections kept per image; sorted ascending. Default [1, 10, 100]. As in pycocotools the summary
   * reads maxDets[0..2] for AP50..ARl, but AP reads 100 itself (-1 when 100 is not among them).
   */
  maxDets?: number[];
  /** Default np.linspace(.5, .95, 10). */
  iouThresholds?: number[];
  /** Default np.linspace(0, 1, 101). */
  recallThresholds?: number[];
  /** Default COCO's all / small / medium / large. The summary looks ranges up by these labels. */
  areaRanges?: AreaRange[];
}

export interface CocoStats {
  AP: number;
  AP50: number;
  AP75: number;
  APs: number;
  APm: number;
  APl: number;
  /** Average recall with maxDets[0] detections per image (1 by default); AR10/AR100 likewise. */
  AR1: number;
  AR10: number;
  AR100: number;
  ARs: number;
  ARm: number;
  ARl: number;
}

export interface CocoEvalResult {
  stats: CocoStats;
  /** The same twelve numbers in pycocotools' `stats` order. */
  statsArray: number[];
  /** [T, R, K, A, M] row-major (T IoU thresholds, R recall thresholds, K categories, A area ranges, M maxDets); -1 where a category has no ground truth. */
  precision: Float64Array;
  /** [T, K, A, M] row-major; -1 where a category has no ground truth. */
  recall: Float64Array;
  shape: { T: number; R: number; K: number; A: number; M: number };
  params: {
    iouThresholds: number[];
    recallThresholds: number[];
    /** Sorted ground-truth category ids: the K axis. */
    categoryIds: number[];
    areaRanges: AreaRange[];
    maxDets: number[];
    /** Sorted ground-truth image ids. */
    imageIds: ImageId[];
  };
}

export const COCO_IOU_THRESHOLDS: readonly number[] = Object.freeze(linspace(0.5, 0.95, 10));
export const COCO_RECALL_THRESHOLDS: readonly number[] = Object.freeze(linspace(0, 1, 101));
export const COCO_AREA_RANGES: readonly AreaRange[] = Object.freeze([
  { label: 'all', range: [0 ** 2, 1e5 ** 2] },
  { label: 'small', range: [0 ** 2, 32 ** 2] },
  { label: 'medium', range: [32 ** 2, 96 ** 2] },
  { label: 'large', range: [96 ** 2, 1e5 ** 2] },
] as AreaRange[]);
export const COCO_MAX_DETS: readonly number[] = Object.freeze([1, 10, 100]);

/**
 * IoU of a detection box with a ground-truth box, both `[x, y, w, h]`, as pycocotools' bbIou (C):
 * no "+1"; for a crowd ground truth the union is the detection's area alone.
 */
export function cocoBoxIou(d: ArrayLike<number>, g: ArrayLike<number>, crowd: boolean): number {
  const w = Math.min(d[2] + d[0], g[2] + g[0]) - Math.max(d[0], g[0]);
  if (w <= 0) return 0;
  const h = Math.min(d[3] + d[1], g[3] + g[1]) - Math.max(d[1], g[1]);
  if (h <= 0) return 0;
  const i = w * h;
  const da = d[2] * d[3];
  const ga = g[2] * g[3];
  const u = crowd ? da : da + ga - i;
  return i / u;
}

interface Gt {
  id: number;
  bbox: number[];
  area: number;
  crowd: boolean;
}

interface Dt {
  id: number;
  bbox: number[];
  area: number;
  score: number;
}

/** evaluateImg's result for one image, category and area range. */
interface ImgEval {
  /** Scores of the kept detections, highest first. */
  dtScores: number[];
  /** [T][D] matched ground-truth annotation id, 0 = unmatched. */
  dtMatches: Float64Array;
  /** [T][D] ignore flags. */
  dtIgnore: Uint8Array;
  /** [G] ignore flags, ignored last. */
  gtIgnore: Uint8Array;
}

/**
 * The twelve COCO box metrics of `detections` against `gt`, with pycocotools' precision [T,R,K,A,M]
 * and recall [T,K,A,M] arrays. `gt` is a COCO instances JSON object; `detections` is a COCO results
 * list (`[{ image_id, category_id, bbox: [x, y, w, h], score }]`).
 */
export function evaluateCoco(gt: CocoJson, detections: readonly CocoResult[], options: CocoEvalOptions = {}): CocoEvalResult {
  const iouThrs = checkThresholds(options.iouThresholds ?? COCO_IOU_THRESHOLDS, 'iouThresholds');
  const recThrs = checkThresholds(options.recallThresholds ?? COCO_RECALL_THRESHOLDS, 'recallThresholds');
  const maxDets = checkMaxDets(options.maxDets ?? COCO_MAX_DETS);
  const areaRngs = checkAreaRanges(options.areaRanges ?? COCO_AREA_RANGES);

  const { imageIds, imageIndex, categoryIds, categoryIndex, gtsByKey } = indexGroundTruth(gt);
  const I = imageIds.length;
  const K = categoryIds.length;
  const T = iouThrs.length;
  const R = recThrs.length;
  const A = areaRngs.length;
  const M = maxDets.length;
  const maxDet = maxDets[M - 1];

  // Group detections by (category, image) in results order; ids are 1-based like loadRes assigns them.
  if (!Array.isArray(detections)) throw new Error(`detections: expected an array of COCO results, got ${typeof detections}`);
  const dtsByKey = new Map<number, Dt[]>();
  detections.forEach((d, n) => {
    const where = `detections[${n}]`;
    if (d === null || typeof d !== 'object') throw new Error(`${where}: expected an object, got ${JSON.stringify(d)}`);
    const ii = imageIndex.get(d.image_id);
    if (ii === undefined) throw new Error(`${where}: image_id ${JSON.stringify(d.image_id)} is not an image of the ground truth`);
    const ki = categoryIndex.get(d.category_id);
    if (ki === undefined) throw new Error(`${where}: category_id ${JSON.stringify(d.category_id)} is not a category of the ground truth`);
    const bbox = checkBbox(d.bbox, where);
    if (typeof d.score !== 'number' || !Number.isFinite(d.score)) throw new Error(`${where}: score must be a finite number, got ${JSON.stringify(d.score)}`);
    const key = ki * I + ii;
    let list = dtsByKey.get(key);
    if (!list) dtsByKey.set(key, (list = []));
    list.push({ id: n + 1, bbox, area: bbox[2] * bbox[3], score: d.score });
  });

  // evaluate() and accumulate(), one category at a time so that only one category's per-image
  // results are held in memory (pycocotools keeps all of them; the numbers do not depend on it)
  const imagesOf: number[][] = Array.from({ length: K }, () => []);
  for (const key of new Set<number>([...gtsByKey.keys(), ...dtsByKey.keys()])) {
    const k = Math.floor(key / I);
    imagesOf[k].push(key - k * I);
  }
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  for (let k = 0; k < K; k++) {
    // images in ascending id order: the order pycocotools concatenates them in
    const imgs = imagesOf[k].sort((x, y) => x - y);
    if (imgs.length === 0) continue;
    // evaluateImg per image with any gt or dt of this category: the IoUs once, then each area range
    const evals = imgs.map((i) => {
      const key = k * I + i;
      const gts = gtsByKey.get(key) ?? [];
      const dts = stableSortByScore(dtsByKey.get(key) ?? []).slice(0, maxDet);
      const ious = dts.map((d) => gts.map((g) => cocoBoxIou(d.bbox, g.bbox, g.crowd)));
      return areaRngs.map((a) => evaluateImg(gts, dts, ious, a.range, iouThrs));
    });
    for (let a = 0; a < A; a++) {
      const E = evals.map((e) => e[a]);
      let npig = 0;
      for (const e of E) for (const ig of e.gtIgnore) if (ig === 0) npig++;
      for (let m = 0; m < M; m++) {
        if (npig === 0) continue;
        // concatenation over images (each cut to maxDets[m]), then a stable sort by -score
        const scores: number[] = [];
        const src: [ImgEval, number][] = [];
        for (const e of E) {
          const n = Math.min(e.dtScores.length, maxDets[m]);
          for (let j = 0; j < n; j++) {
            scores.push(e.dtScores[j]);
            src.push([e, j]);
          }
        }
        const order = stableArgsortDesc(scores);
        const nd = order.length;
        for (let t = 0; t < T; t++) {
          const rc = new Float64Array(nd);
          const pr = new Float64Array(nd);
          let tp = 0;
          let fp = 0;
          for (let j = 0; j < nd; j++) {
            const [e, dj] = src[order[j]];
            const D = e.dtScores.length;
            const matched = e.dtMatches[t * D + dj] !== 0;
            const ignored = e.dtIgnore[t * D + dj] !== 0;
            if (matched && !ignored) tp++;
            if (!matched && !ignored) fp++;
            rc[j] = tp / npig;
            pr[j] = tp / (fp + tp + FLOAT64_EPS);
          }
          recall[((t * K + k) * A + a) * M + m] = nd ? rc[nd - 1] : 0;
          // make precision monotone (non-increasing) from the right
          for (let j = nd - 1; j > 0; j--) if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
          // q starts as zeros; pycocotools wraps the fill in try/except IndexError, so the first
          // recall threshold beyond the recall reached ends it and the rest stay 0
          const q = new Float64Array(R);
          for (let r = 0; r < R; r++) {
            const idx = searchsortedLeft(rc, recThrs[r]);
            if (idx >= nd) break;
            q[r] = pr[idx];
          }
          for (let r = 0; r < R; r++) precision[(((t * R + r) * K + k) * A + a) * M + m] = q[r];
        }
      }
    }
  }

  // summarize()
  const summarize = (ap: boolean, iouThr: number | undefined, areaLbl: string, md: number): number => {
    const ts = iouThr === undefined ? iouThrs.map((_, t) => t) : iouThrs.flatMap((v, t) => (v === iouThr ? [t] : []));
    const a = areaRngs.findIndex((r) => r.label === areaLbl);
    const m = maxDets.indexOf(md);
    const vals: number[] = [];
    if (a >= 0 && m >= 0) {
      for (const t of ts) {
        if (ap) {
          for (let r = 0; r < R; r++) {
            for (let k = 0; k < K; k++) {
              const v = precision[(((t * R + r) * K + k) * A + a) * M + m];
              if (v > -1) vals.push(v);
            }
          }
        } else {
          for (let k = 0; k < K; k++) {
            const v = recall[((t * K + k) * A + a) * M + m];
            if (v > -1) vals.push(v);
          }
        }
      }
    }
    return vals.length === 0 ? -1 : numpyMean(vals);
  };
  // AP reads maxDets = 100 literally (pycocotools' _summarize default), not maxDets[2]
  const statsArray = [
    summarize(true, undefined, 'all', 100),
    summarize(true, 0.5, 'all', maxDets[2]),
    summarize(true, 0.75, 'all', maxDets[2]),
    summarize(true, undefined, 'small', maxDets[2]),
    summarize(true, undefined, 'medium', maxDets[2]),
    summarize(true, undefined, 'large', maxDets[2]),
    summarize(false, undefined, 'all', maxDets[0]),
    summarize(false, undefined, 'all', maxDets[1]),
    summarize(false, undefined, 'all', maxDets[2]),
    summarize(false, undefined, 'small', maxDets[2]),
    summarize(false, undefined, 'medium', maxDets[2]),
    summarize(false, undefined, 'large', maxDets[2]),
  ];
  const [AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl] = statsArray;
  return {
    stats: { AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl },
    statsArray,
    precision,
    recall,
    shape: { T, R, K, A, M },
    params: {
      iouThresholds: [...iouThrs],
      recallThresholds: [...recThrs],
      categoryIds,
      areaRanges: areaRngs.map((r) => ({ label: r.label, range: [r.range[0], r.range[1]] })),
      maxDets: [...maxDets],
      imageIds,
    },
  };
}

/** pycocotools' evaluateImg for one image, category and area range. `ious[d][g]` uses gts in their original order. */
function evaluateImg(gts: Gt[], dts: Dt[], ious: number[][], aRng: [number, number], iouThrs: number[]): ImgEval {
  const T = iouThrs.length;
  const D = dts.length;
  const G = gts.length;
  const ignoreOf = (g: Gt): number => (g.crowd || g.area < aRng[0] || g.area > aRng[1] ? 1 : 0);
  // ground truths with the ignore flag last (stable), and the IoU columns in the same order
  const gtind = gts.map((_, j) => j).sort((x, y) => ignoreOf(gts[x]) - ignoreOf(gts[y]) || x - y);
  const gtIg = Uint8Array.from(gtind, (j) => ignoreOf(gts[j]));
  const gtMatched = new Uint8Array(T * G);
  const dtm = new Float64Array(T * D);
  const dtIg = new Uint8Array(T * D);
  for (let t = 0; t < T; t++) {
    for (let d = 0; d < D; d++) {
      let iou = Math.min(iouThrs[t], 1 - 1e-10);
      let m = -1;
      for (let gi = 0; gi < G; gi++) {
        const g = gts[gtind[gi]];
        // already matched and not a crowd: skip
        if (gtMatched[t * G + gi] && !g.crowd) continue;
        // matched to a regular gt and now on the ignored ones: stop
        if (m > -1 && gtIg[m] === 0 && gtIg[gi] === 1) break;
        const v = ious[d][gtind[gi]];
        if (v < iou) continue;
        iou = v;
        m = gi;
      }
      if (m === -1) continue;
      dtIg[t * D + d] = gtIg[m];
      dtm[t * D + d] = gts[gtind[m]].id;
      gtMatched[t * G + m] = 1;
    }
  }
  // unmatched detections outside the area range are ignored
  for (let d = 0; d < D; d++) {
    const outside = dts[d].area < aRng[0] || dts[d].area > aRng[1];
    if (!outside) continue;
    for (let t = 0; t < T; t++) if (dtm[t * D + d] === 0) dtIg[t * D + d] = 1;
  }
  return { dtScores: dts.map((d) => d.score), dtMatches: dtm, dtIgnore: dtIg, gtIgnore: gtIg };
}

function stableSortByScore(dts: Dt[]): Dt[] {
  return stableArgsortDesc(dts.map((d) => d.score)).map((j) => dts[j]);
}

function compareIds(a: ImageId, b: ImageId): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return a < b ? -1 : a > b ? 1 : 0;
}

function indexGroundTruth(gt: CocoJson) {
  if (gt === null || typeof gt !== 'object') throw new Error(`ground truth: expected a COCO JSON object, got ${typeof gt}`);
  for (const field of ['images', 'annotations', 'categories'] as const) {
    if (!Array.isArray(gt[field])) throw new Error(`ground truth: "${field}" must be an array`);
  }
  const imageIds: ImageId[] = [];
  const seenImages = new Set<ImageId>();
  gt.images.forEach((img, n) => {
    const id = img?.id;
    if (!(typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)))) {
      throw new Error(`ground truth: images[${n}].id must be a number or string, got ${JSON.stringify(id)}`);
    }
    if (seenImages.has(id)) throw new Error(`ground truth: images[${n}].id ${JSON.stringify(id)} is a duplicate`);
    seenImages.add(id);
    imageIds.push(id);
  });
  if (imageIds.length > 0 && !imageIds.every((id) => typeof id === typeof imageIds[0])) {
    throw new Error('ground truth: image ids mix numbers and strings');
  }
  imageIds.sort(compareIds);
  const imageIndex = new Map<ImageId, number>(imageIds.map((id, i) => [id, i]));

  const categoryIds: number[] = [];
  gt.categories.forEach((c, n) => {
    const id = c?.id;
    if (typeof id !== 'number' || !Number.isFinite(id)) throw new Error(`ground truth: categories[${n}].id must be a number, got ${JSON.stringify(id)}`);
    if (categoryIds.includes(id)) throw new Error(`ground truth: categories[${n}].id ${id} is a duplicate`);
    categoryIds.push(id);
  });
  categoryIds.sort((a, b) => a - b);
  const categoryIndex = new Map<number, number>(categoryIds.map((id, k) => [id, k]));

  const I = imageIds.length;
  const gtsByKey = new Map<number, Gt[]>();
  const seenAnns = new Set<number>();
  gt.annotations.forEach((ann, n) => {
    const where = `ground truth: annotations[${n}]`;
    if (ann === null || typeof ann !== 'object') throw new Error(`${where}: expected an object`);
    if (typeof ann.id !== 'number' || !Number.isFinite(ann.id)) throw new Error(`${where}: id must be a number, got ${JSON.stringify(ann.id)}`);
    if (seenAnns.has(ann.id)) throw new Error(`${where}: id ${ann.id} is a duplicate`);
    seenAnns.add(ann.id);
    const ii = imageIndex.get(ann.image_id);
    if (ii === undefined) throw new Error(`${where}: image_id ${JSON.stringify(ann.image_id)} is not in "images"`);
    const ki = categoryIndex.get(ann.category_id);
    if (ki === undefined) throw new Error(`${where}: category_id ${JSON.stringify(ann.category_id)} is not in "categories"`);
    const bbox = checkBbox(ann.bbox, where);
    if (typeof ann.area !== 'number' || !Number.isFinite(ann.area)) throw new Error(`${where}: area must be a finite number, got ${JSON.stringify(ann.area)}`);
    const key = ki * I + ii;
    let list = gtsByKey.get(key);
    if (!list) gtsByKey.set(key, (list = []));
    list.push({ id: ann.id, bbox, area: ann.area, crowd: Boolean(ann.iscrowd) });
  });
  return { imageIds, imageIndex, categoryIds, categoryIndex, gtsByKey };
}

function checkBbox(bbox: unknown, where: string): number[] {
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new Error(`${where}: bbox must be [x, y, w, h] of finite numbers, got ${JSON.stringify(bbox)}`);
  }
  if (bbox[2] < 0 || bbox[3] < 0) throw new Error(`${where}: bbox width and height must be >= 0, got ${JSON.stringify(bbox)}`);
  return bbox as number[];
}

function checkThresholds(v: readonly number[], name: string): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && x >= 0 && x <= 1)) {
    throw new Error(`${name}: expected a non-empty array of numbers in [0, 1], got ${JSON.stringify(v)}`);
  }
  return [...v];
}

function checkMaxDets(v: readonly number[]): number[] {
  if (!Array.isArray(v) || v.length < 3 || !v.every((x) => Number.isInteger(x) && x > 0)) {
    throw new Error(`maxDets: expected at least 3 positive integers (the summary reads three), got ${JSON.stringify(v)}`);
  }
  const sorted = [...v].sort((a, b) => a - b);
  if (new Set(sorted).size !== sorted.length) throw new Error(`maxDets: values must be distinct, got ${JSON.stringify(v)}`);
  return sorted;
}

function checkAreaRanges(v: readonly AreaRange[]): AreaRange[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error('areaRanges: expected a non-empty array of { label, range: [min, max] }');
  const labels = new Set<string>();
  for (const r of v) {
    if (!r || typeof r.label !== 'string' || !Array.isArray(r.range) || r.range.length !== 2 || !r.range.every((x: unknown) => typeof x === 'number' && !Number.isNaN(x))) {
      throw new Error(`areaRanges: bad entry ${JSON.stringify(r)}, expected { label: string, range: [min, max] }`);
    }
    if (labels.has(r.label)) throw new Error(`areaRanges: label "${r.label}" appears twice`);
    labels.add(r.label);
  }
  return v.map((r) => ({ label: r.label, range: [r.range[0], r.range[1]] }));
}
