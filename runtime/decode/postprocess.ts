// Detections -> per-class soft-NMS -> the best maxResults, score-descending. CornerNet's test-time
// post-processing (Gaussian soft-NMS per class, sigma 0.5, drop below 0.001, keep 100), which is also
// CenterNet's merge of multi-scale (and flipped) outputs (soft_nms Nt 0.5, method 2, keep 100).
import * as ops from '../ops/index.js';
import { boxesToArray, byScoreDescending, type Detection } from './boxes.js';
import { nonNegativeNumber, positiveInt, positiveNumber } from './options.js';

export interface PostprocessOptions {
  method?: 'linear' | 'gaussian' | 'hard';
  /** Overlap above which linear / hard decay applies (official Nt). */
  iouThreshold?: number;
  /** Gaussian decay exp(-iou^2 / sigma). */
  sigma?: number;
  /** A box is dropped once its decayed score falls below this. */
  scoreThreshold?: number;
  maxResults?: number;
}

const FN = 'cornerNetPostprocess';

/**
 * Soft-NMS within each class (boxes of different classes never suppress each other), rescored
 * detections pooled, then the maxResults best kept. Official code keeps every box scoring at least
 * the maxResults-th score (more on ties); we keep exactly maxResults, equal scores in class order.
 */
export function cornerNetPostprocess(dets: readonly Detection[], options: PostprocessOptions = {}): Detection[] {
  if (!Array.isArray(dets)) throw new Error(`${FN}: dets must be an array of detections { box, score, classId }`);
  const { method = 'gaussian', iouThreshold = 0.5, sigma = 0.5, scoreThreshold = 0.001, maxResults = 100 } = options;
  if (method !== 'linear' && method !== 'gaussian' && method !== 'hard') throw new Error(`${FN}: options.method must be 'linear', 'gaussian' or 'hard', got ${String(method)}`);
  nonNegativeNumber(FN, 'iouThreshold', iouThreshold);
  positiveNumber(FN, 'sigma', sigma);
  nonNegativeNumber(FN, 'scoreThreshold', scoreThreshold);
  positiveInt(FN, 'maxResults', maxResults);

  const byClass = new Map<number, Detection[]>();
  dets.forEach((d, i) => {
    if (typeof d !== 'object' || d === null || typeof d.box !== 'object' || !Number.isInteger(d.classId) || typeof d.score !== 'number') {
      throw new Error(`${FN}: dets[${i}] must be { box: { xmin, ymin, xmax, ymax }, score, classId }`);
    }
    const group = byClass.get(d.classId);
    if (group) group.push(d);
    else byClass.set(d.classId, [d]);
  });

  const kept: Detection[] = [];
  for (const classId of [...byClass.keys()].sort((a, b) => a - b)) {
    const group = byClass.get(classId)!;
    const scores = Float32Array.from(group, (d) => d.score);
    const result = ops.softNms(boxesToArray(group), scores, { method, iouThreshold, sigma, scoreThreshold });
    for (let n = 0; n < result.indices.length; n++) {
      const d = group[result.indices[n]];
      kept.push({ box: { ...d.box }, score: result.scores[n], classId });
    }
  }
  return kept.sort(byScoreDescending).slice(0, maxResults);
}
