// Pascal VOC average precision as the official devkit's Python port (voc_eval.py, used by
// py-faster-rcnn, CenterNet and mmdetection) computes it: per class, detections sorted by score,
// each greedily matched to the ground truth of highest IoU in its image; IoU > 0.5 (strictly) with
// an unmatched box is a true positive, a second hit on the same box a false positive, a hit on a
// "difficult" box neither; AP is VOC2007's 11-point interpolation (use07Metric, the default) or the
// VOC2010+ area under the monotone precision curve.
//
// One deliberate difference: boxes are continuous coordinates, so IoU has no "+1" in widths and
// areas (the devkit adds 1 because it counts pixels; our loaders already turned VOC's 1-based
// inclusive pixel boxes into continuous ones, see trainer/data/voc.ts). Ties in score keep input
// order (the devkit's np.argsort quicksort leaves their order unspecified).
import type { BoxXYXY, DetectionBox, ImageId } from '../data/types.js';
import { arange, FLOAT64_EPS, numpySum, stableArgsortDesc } from './numpy.js';
import { boxIouXYXY } from '../../runtime/decode/boxes.js';

export interface VocGroundTruth {
  imageId: ImageId;
  boxes: BoxXYXY[];
  /** 0-based channel ids, parallel to boxes. */
  classIds: number[];
  /** Difficult boxes are neither required (not in the positives) nor punished (a hit is ignored). */
  difficult?: boolean[];
}

export interface VocDetection {
  imageId: ImageId;
  box: DetectionBox;
  score: number;
  classId: number;
}

export interface VocApOptions {
  numClasses: number;
  /** Match when IoU is strictly greater than this. Default 0.5. */
  iouThreshold?: number;
  /** true (default): VOC2007 11-point AP; false: VOC2010+ all-point AP. */
  use07Metric?: boolean;
}

export interface VocApResult {
  /** Per class; null for a class without any non-difficult ground truth (left out of mAP). */
  ap: (number | null)[];
  /** Mean of the non-null per-class APs; null when no class has ground truth. */
  mAP: number | null;
  /** Non-difficult ground-truth boxes per class. */
  npos: number[];
}

/** voc_ap(rec, prec, use_07_metric=True): mean of the best precision at recall >= 0, 0.1, ..., 1 (np.arange steps). */
export function voc07Ap(rec: ArrayLike<number>, prec: ArrayLike<number>): number {
  let ap = 0;
  for (const t of arange(0, 1.1, 0.1)) {
    let p = 0;
    let any = false;
    for (let i = 0; i < rec.length; i++) {
      if (rec[i] >= t && (!any || prec[i] > p)) {
        p = prec[i];
        any = true;
      }
    }
    ap = ap + p / 11;
  }
  return ap;
}

/** voc_ap(rec, prec, use_07_metric=False): area under the precision envelope, summed where recall changes. */
export function vocAreaAp(rec: ArrayLike<number>, prec: ArrayLike<number>): number {
  const mrec = [0, ...Array.from(rec), 1];
  const mpre = [0, ...Array.from(prec), 0];
  for (let i = mpre.length - 1; i > 0; i--) mpre[i - 1] = Math.max(mpre[i - 1], mpre[i]);
  const terms: number[] = [];
  for (let i = 0; i + 1 < mrec.length; i++) {
    if (mrec[i + 1] !== mrec[i]) terms.push((mrec[i + 1] - mrec[i]) * mpre[i + 1]);
  }
  return numpySum(terms);
}

/** Per-class VOC AP and their mean over classes that have ground truth. */
export function vocAp(gts: readonly VocGroundTruth[], detections: readonly VocDetection[], options: VocApOptions): VocApResult {
  const { numClasses, iouThreshold = 0.5, use07Metric = true } = options;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`numClasses: expected a positive integer, got ${numClasses}`);
  if (!(iouThreshold >= 0 && iouThreshold < 1)) throw new Error(`iouThreshold: expected a number in [0, 1), got ${iouThreshold}`);

  // per image and class: boxes, difficult flags, "already detected" flags
  const byImage = new Map<ImageId, { boxes: BoxXYXY[]; classIds: number[]; difficult: boolean[] }>();
  const npos = new Array<number>(numClasses).fill(0);
  gts.forEach((g, n) => {
    const where = `ground truth [${n}] (image ${JSON.stringify(g.imageId)})`;
    if (byImage.has(g.imageId)) throw new Error(`${where}: image id appears twice`);
    if (g.boxes.length !== g.classIds.length) throw new Error(`${where}: ${g.boxes.length} boxes but ${g.classIds.length} classIds`);
    const difficult = g.difficult ?? g.boxes.map(() => false);
    if (difficult.length !== g.boxes.length) throw new Error(`${where}: ${g.boxes.length} boxes but ${difficult.length} difficult flags`);
    g.boxes.forEach((b, j) => checkBox(b, `${where} box ${j}`));
    g.classIds.forEach((c, j) => {
      if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new Error(`${where}: classIds[${j}] = ${c} is not in [0, ${numClasses})`);
      if (!difficult[j]) npos[c]++;
    });
    byImage.set(g.imageId, { boxes: g.boxes, classIds: g.classIds, difficult });
  });

  const detsByClass: VocDetection[][] = Array.from({ length: numClasses }, () => []);
  detections.forEach((d, n) => {
    const where = `detections[${n}]`;
    if (!byImage.has(d.imageId)) throw new Error(`${where}: image ${JSON.stringify(d.imageId)} has no ground-truth entry`);
    if (!Number.isInteger(d.classId) || d.classId < 0 || d.classId >= numClasses) throw new Error(`${where}: classId ${d.classId} is not in [0, ${numClasses})`);
    if (typeof d.score !== 'number' || !Number.isFinite(d.score)) throw new Error(`${where}: score must be a finite number, got ${d.score}`);
    checkBox([d.box?.xmin, d.box?.ymin, d.box?.xmax, d.box?.ymax], where);
    detsByClass[d.classId].push(d);
  });

  const ap: (number | null)[] = [];
  for (let c = 0; c < numClasses; c++) {
    if (npos[c] === 0) {
      ap.push(null);
      continue;
    }
    const dets = detsByClass[c];
    const order = stableArgsortDesc(dets.map((d) => d.score));
    const detected = new Map<ImageId, boolean[]>();
    const rec: number[] = [];
    const prec: number[] = [];
    let tp = 0;
    let fp = 0;
    for (const j of order) {
      const d = dets[j];
      const bb = [d.box.xmin, d.box.ymin, d.box.xmax, d.box.ymax];
      const img = byImage.get(d.imageId)!;
      // the best-overlapping ground truth of this class (first on ties, like np.argmax)
      let ovmax = -Infinity;
      let jmax = -1;
      for (let g = 0; g < img.boxes.length; g++) {
        if (img.classIds[g] !== c) continue;
        const ov = boxIouXYXY(bb, img.boxes[g]);
        if (ov > ovmax) {
          ovmax = ov;
          jmax = g;
        }
      }
      if (ovmax > iouThreshold) {
        if (!img.difficult[jmax]) {
          let flags = detected.get(d.imageId);
          if (!flags) detected.set(d.imageId, (flags = []));
          if (!flags[jmax]) {
            tp++;
            flags[jmax] = true;
          } else {
            fp++;
          }
        }
      } else {
        fp++;
      }
      rec.push(tp / npos[c]);
      prec.push(tp / Math.max(tp + fp, FLOAT64_EPS));
    }
    ap.push(use07Metric ? voc07Ap(rec, prec) : vocAreaAp(rec, prec));
  }
  const valid = ap.filter((v): v is number => v !== null);
  return { ap, mAP: valid.length ? valid.reduce((s, v) => s + v, 0) / valid.length : null, npos };
}

function checkBox(b: ArrayLike<unknown>, where: string): void {
  const ok = b.length === 4 && Array.from(b).every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!ok || (b[2] as number) < (b[0] as number) || (b[3] as number) < (b[1] as number)) {
    throw new Error(`${where}: expected a box [x1, y1, x2, y2] with x2 >= x1 and y2 >= y1, got ${JSON.stringify(Array.from(b))}`);
  }
}
