// Weighted boxes fusion (Solovyev, Wang & Gabruseva, "Weighted boxes fusion: ensembling boxes from
// different object detection models", 2021, arXiv:1910.13302) of the detections of several runs of
// one image: a multi-size test's input sizes, a multi-scale test's scales. Where soft-NMS keeps the
// best box of each object and decays the others, fusion averages the runs: a box that every run
// finds keeps its score, one that a single run finds (e.g. a small blotch seen at one size only)
// loses, and the fused box is the score-weighted mean of the runs' boxes. Measured on centernet-tiny's
// 128 + 192 px test (docs/training.md, "Box fusion"): +0.012-0.022 AP and +0.001-0.011 AP50 over
// soft-NMS on 1,000 held-out images, in each of 12 model and size-pair comparisons.
//
// The clustering is the paper's: per class, boxes best first, each joins the cluster whose fused box
// it overlaps most (IoU > iouThreshold), or starts one. The score differs in one point: the paper's
// 'avg' is the mean of a cluster's members times min(members, runs) / runs, which counts two boxes
// of one run as two runs agreeing; here each run contributes its best member's score (a run that
// found nothing, 0), and the fused score is their mean (0.001-0.004 AP50 better in 5 of those comparisons).
import { boxIouXYXY, byScoreDescending, type Detection } from './boxes.js';
import { positiveInt } from './options.js';

export interface FusionOptions {
  /** A box joins a cluster whose fused box it overlaps by more than this (the paper's default 0.55). */
  iouThreshold?: number;
  /** At most this many fused detections, best first (default 100). */
  maxResults?: number;
}

const FN = 'fuseDetections';

interface Cluster {
  classId: number;
  /** The fused box, [x1, y1, x2, y2]. */
  box: number[];
  /** Score-weighted sums of the members' coordinates, and of their scores. */
  sums: [number, number, number, number];
  weight: number;
  /** The best member score of each run. */
  best: number[];
}

/**
 * The detections of `runs` (one array per run of the same image, boxes in the same pixels) fused
 * into one list, score-descending: each cluster's box is its members' score-weighted mean, its
 * score the mean over the runs of each run's best member score.
 */
export function fuseDetections(runs: readonly (readonly Detection[])[], options: FusionOptions = {}): Detection[] {
  if (!Array.isArray(runs) || runs.length === 0 || !runs.every(Array.isArray)) throw new Error(`${FN}: runs must be a non-empty array of detection arrays (one per run)`);
  const { iouThreshold = 0.55, maxResults = 100 } = options;
  if (typeof iouThreshold !== 'number' || !(iouThreshold >= 0 && iouThreshold < 1)) throw new Error(`${FN}: options.iouThreshold must be a number in [0, 1), got ${String(iouThreshold)}`);
  positiveInt(FN, 'maxResults', maxResults);
  const all = runs.flatMap((dets, run) => dets.map((d) => ({ ...d, run, xyxy: [d.box.xmin, d.box.ymin, d.box.xmax, d.box.ymax] }))).sort(byScoreDescending);
  const clusters: Cluster[] = [];
  for (const d of all) {
    let match: Cluster | undefined;
    let most = iouThreshold;
    for (const c of clusters) {
      const overlap = c.classId === d.classId ? boxIouXYXY(c.box, d.xyxy) : 0;
      if (overlap > most) [most, match] = [overlap, c];
    }
    if (!match) clusters.push((match = { classId: d.classId, box: d.xyxy, sums: [0, 0, 0, 0], weight: 0, best: runs.map(() => 0) }));
    for (let k = 0; k < 4; k++) match.sums[k] += d.score * d.xyxy[k];
    match.weight += d.score;
    match.best[d.run] = Math.max(match.best[d.run], d.score);
    // a cluster of zero-score boxes keeps its first box
    if (match.weight > 0) match.box = match.sums.map((s) => s / match.weight);
  }
  return clusters
    .map(({ box: [xmin, ymin, xmax, ymax], best, classId }) => ({ box: { xmin, ymin, xmax, ymax }, score: best.reduce((a, b) => a + b, 0) / runs.length, classId }))
    .sort(byScoreDescending)
    .slice(0, maxResults);
}
