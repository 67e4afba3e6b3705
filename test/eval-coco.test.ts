// COCO metrics on hand-worked cases: every expected number is derived in the comments from the
// COCOeval rules (matching, accumulation, 101-point interpolation), not taken from the code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COCO_IOU_THRESHOLDS, COCO_RECALL_THRESHOLDS, cocoBoxIou, evaluateCoco } from '../trainer/eval/coco-eval.js';
import type { CocoAnnotation, CocoJson, CocoResult } from '../trainer/data/types.js';

type Ann = Partial<CocoAnnotation> & { bbox: [number, number, number, number] };

/** Ground truth with images 1..nImages (or the given ids), categories 1..nCats; ann ids from 1. */
function gtOf(anns: Ann[], { images = [1], cats = [1] }: { images?: number[]; cats?: number[] } = {}): CocoJson {
  return {
    images: images.map((id) => ({ id, file_name: `${id}.png`, width: 1000, height: 1000 })),
    categories: cats.map((id) => ({ id, name: `c${id}` })),
    annotations: anns.map((a, n) => ({
      id: n + 1,
      image_id: 1,
      category_id: 1,
      area: a.bbox[2] * a.bbox[3],
      iscrowd: 0,
      ...a,
    })),
  };
}

function det(bbox: [number, number, number, number], score: number, image_id = 1, category_id = 1): CocoResult {
  return { image_id, category_id, bbox, score };
}

// tp / (tp + fp + eps) with eps = 2^-52: for one true positive and no false positive that is
// 1 / (1 + 2^-52) = 1 - 2^-52 (0.9999999999999998), so "perfect" is 1 within 1e-15, as in pycocotools.
const near = (actual: number, expected: number, what: string, tol = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: expected ${expected}, got ${actual}`);

test('thresholds are numpy linspace values (0.8999999999999999, 0.5700000000000001 included)', () => {
  assert.is(COCO_IOU_THRESHOLDS.length, 10);
  assert.is(COCO_IOU_THRESHOLDS[0], 0.5);
  assert.is(COCO_IOU_THRESHOLDS[5], 0.75); // AP75 looks the threshold up by equality
  assert.is(COCO_IOU_THRESHOLDS[8], 0.8999999999999999); // 8 * (0.45 / 9) + 0.5 in doubles
  assert.is(COCO_IOU_THRESHOLDS[9], 0.95);
  assert.is(COCO_RECALL_THRESHOLDS.length, 101);
  assert.is(COCO_RECALL_THRESHOLDS[50], 0.5);
  assert.is(COCO_RECALL_THRESHOLDS[57], 0.5700000000000001); // 57 * 0.01
  assert.is(COCO_RECALL_THRESHOLDS[100], 1);
});

test('box IoU like maskUtils.iou: no +1, crowd union = detection area', () => {
  // [0,0,10,10] vs [5,0,10,10]: intersection 5*10 = 50, union 100 + 100 - 50 = 150
  assert.is(cocoBoxIou([0, 0, 10, 10], [5, 0, 10, 10], false), 50 / 150);
  // crowd: 50 / (detection area 100)
  assert.is(cocoBoxIou([0, 0, 10, 10], [5, 0, 10, 10], true), 0.5);
  // touching edges: width 0 -> 0
  assert.is(cocoBoxIou([0, 0, 10, 10], [10, 0, 10, 10], false), 0);
});

test('perfect detections: every number is 1 (small, medium and large objects present)', () => {
  // areas 10*10 = 100 (small), 50*50 = 2500 (medium), 200*200 = 40000 (large); one per image so
  // that one detection per image (AR1) covers them all
  const anns: Ann[] = [{ bbox: [0, 0, 10, 10], image_id: 1 }, { bbox: [100, 100, 50, 50], image_id: 2 }, { bbox: [300, 300, 200, 200], image_id: 3 }];
  const dets = anns.map((a, n) => det(a.bbox, 0.9 - n * 0.1, a.image_id as number));
  const { stats } = evaluateCoco(gtOf(anns, { images: [1, 2, 3] }), dets);
  for (const [k, v] of Object.entries(stats)) near(v, 1, k);
});

test('one FP ranked above one TP: precision 1/2 at all 101 recall points', () => {
  // one gt; dets sorted: FP (0.9) then TP (0.8).
  // tp cumsum [0, 1], fp cumsum [1, 1] -> recall [0, 1], precision [0/1, 1/2] = [0, 0.5]
  // monotone from the right: [0.5, 0.5]; searchsorted(recall, r, 'left'): r = 0 -> index 0,
  // r in (0, 1] -> index 1; both give 0.5, so precision is 0.5 at all 101 points, every IoU.
  const gt = gtOf([{ bbox: [0, 0, 10, 10] }]);
  const r = evaluateCoco(gt, [det([500, 500, 10, 10], 0.9), det([0, 0, 10, 10], 0.8)]);
  const { T, R, K, A, M } = r.shape;
  assert.equal([T, R, K, A, M], [10, 101, 1, 4, 3]);
  for (let t = 0; t < T; t++) {
    for (let q = 0; q < R; q++) {
      // area 'all' (a = 0), maxDets 100 (m = 2)
      near(r.precision[(((t * R + q) * K + 0) * A + 0) * M + 2], 0.5, `precision t=${t} r=${q}`, 1e-15);
    }
  }
  near(r.stats.AP, 0.5, 'AP');
  near(r.stats.AP50, 0.5, 'AP50');
  near(r.stats.AP75, 0.5, 'AP75');
  // with one detection per image only the FP (0.9) is kept: recall 0
  assert.is(r.stats.AR1, 0);
  near(r.stats.AR10, 1, 'AR10');
  near(r.stats.AR100, 1, 'AR100');
  // area 100 is small: small has it, medium and large have no gt -> -1
  near(r.stats.APs, 0.5, 'APs');
  assert.is(r.stats.APm, -1);
  assert.is(r.stats.APl, -1);
  assert.is(r.stats.ARm, -1);
  assert.is(r.stats.ARl, -1);
});

test('the same TP ranked above the FP: AP 1', () => {
  // recall [1, 1], precision [1, 0.5] -> monotone [1, 0.5]; every threshold r <= 1 hits index 0 -> 1
  const gt = gtOf([{ bbox: [0, 0, 10, 10] }]);
  const r = evaluateCoco(gt, [det([0, 0, 10, 10], 0.9), det([500, 500, 10, 10], 0.8)]);
  near(r.stats.AP, 1, 'AP');
  near(r.stats.AR1, 1, 'AR1');
});

test('TP, FP, TP over two gts: interpolated precision 1 up to recall 0.5, then 2/3', () => {
  // dets: TP (0.9), FP (0.8), TP (0.7); npig = 2
  // tp [1, 1, 2], fp [0, 1, 1] -> recall [0.5, 0.5, 1], precision [1, 1/2, 2/3]
  // monotone from the right: [1, 2/3, 2/3]
  // recall thresholds 0.00..0.50 (51 of them) -> index 0 -> 1; 0.51..1.00 (50) -> index 2 -> 2/3
  // AP = (51 * 1 + 50 * 2/3) / 101 = (51 + 100/3) / 101 = 253 / 303 at every IoU threshold
  const gt = gtOf([{ bbox: [0, 0, 10, 10] }, { bbox: [100, 0, 10, 10] }]);
  const r = evaluateCoco(gt, [det([0, 0, 10, 10], 0.9), det([500, 500, 10, 10], 0.8), det([100, 0, 10, 10], 0.7)]);
  const { R, K, A, M } = r.shape;
  const p = (q: number) => r.precision[(((0 * R + q) * K + 0) * A + 0) * M + 2];
  near(p(0), 1, 'r=0.00');
  near(p(50), 1, 'r=0.50');
  near(p(51), 2 / 3, 'r=0.51');
  near(p(100), 2 / 3, 'r=1.00');
  near(r.stats.AP, 253 / 303, 'AP');
  near(r.stats.AR100, 1, 'AR100');
  // maxDets 1 per image keeps only the first TP: recall 1/2
  near(r.stats.AR1, 0.5, 'AR1');
});

test('a duplicate detection of a matched gt is a false positive; a det takes the gt of highest IoU', () => {
  // gt A [0,0,10,10], gt B [6,0,10,10]. det1 [5,0,10,10] (0.9): IoU with A = 5*10/(200-50) = 1/3,
  // with B = 9*10/(200-90) = 90/110 = 0.818 -> matches B at IoU 0.5..0.8 (not at >= 0.85).
  // det2 = B exactly (0.8): B is taken at thresholds <= 0.8, and IoU(det2, A) = 4*10/(200-40) = 0.25,
  // so det2 is a FP there; at 0.85..0.95 det1 matched nothing, so det2 matches B (IoU 1).
  // At t <= 0.8 (7 thresholds): tp [1, 1], fp [0, 1], npig 2 -> recall [0.5, 0.5], precision [1, 0.5]
  //   -> monotone [1, 0.5]; r <= 0.5 (51 points) -> 1, r > 0.5 -> beyond reached recall -> 0: 51/101
  // At t >= 0.85 (3 thresholds): tp [0, 1], fp [1, 1] -> recall [0, 0.5], precision [0, 0.5]
  //   -> monotone [0.5, 0.5]; r = 0 -> 0.5, r in (0, 0.5] (50 points) -> 0.5, r > 0.5 -> 0: 51 * 0.5 / 101
  // AP = (7 * 51/101 + 3 * 25.5/101) / 10 = (357 + 76.5) / 1010 = 433.5 / 1010
  const gt = gtOf([{ bbox: [0, 0, 10, 10] }, { bbox: [6, 0, 10, 10] }]);
  const r = evaluateCoco(gt, [det([5, 0, 10, 10], 0.9), det([6, 0, 10, 10], 0.8)]);
  near(r.stats.AP, 433.5 / 1010, 'AP');
  near(r.stats.AP50, 51 / 101, 'AP50');
  // recall: 0.5 at all 10 thresholds
  near(r.stats.AR100, 0.5, 'AR100');
});

test('a crowd gt absorbs detections (no FP) and is not a positive', () => {
  // gt: normal A [0,0,10,10]; crowd C [100,0,40,40] (area 1600).
  // dets inside C with scores 0.95 and 0.94: crowd IoU = intersection / det area = 100/100 = 1,
  // so both match C (a crowd may be matched again) and inherit its ignore flag: not counted.
  // Remaining: TP on A (0.9). npig = 1 (crowd ignored) -> recall [1], precision [1] -> AP 1.
  const anns: Ann[] = [{ bbox: [0, 0, 10, 10] }, { bbox: [100, 0, 40, 40], iscrowd: 1 }];
  const dets = [det([105, 5, 10, 10], 0.95), det([120, 20, 10, 10], 0.94), det([0, 0, 10, 10], 0.9)];
  const r = evaluateCoco(gtOf(anns), dets);
  near(r.stats.AP, 1, 'AP with crowd');
  near(r.stats.AR100, 1, 'AR100 with crowd');
  // Control: the same region as a normal gt. The two dets have IoU 100/1600 = 0.0625 with it: FPs.
  // dets FP, FP, TP over npig 2: recall [0, 0, 0.5], precision [0, 0, 1/3] -> monotone all 1/3;
  // r <= 0.5 (51 points) -> 1/3, above -> 0: AP = 51/3/101 = 17/101
  const control = evaluateCoco(gtOf([anns[0], { bbox: [100, 0, 40, 40] }]), dets);
  near(control.stats.AP, 17 / 101, 'AP without crowd');
});

test('area ranges use the gt "area" field and the det box area; empty ranges are -1', () => {
  // S: bbox 40x40 (box area 1600, medium by box) but area field 500 -> small.
  // L: bbox 200x200, area 40000 -> large.
  // dets: FP_L [600,600,150,150] (area 22500, large) 0.95; TP on L 0.9. Nothing detects S.
  const anns: Ann[] = [{ bbox: [0, 0, 40, 40], area: 500 }, { bbox: [300, 300, 200, 200] }];
  const dets = [det([600, 600, 150, 150], 0.95), det([300, 300, 200, 200], 0.9)];
  const { stats } = evaluateCoco(gtOf(anns), dets);
  // all: dets FP, TP over npig 2 -> recall [0, 0.5], precision [0, 0.5] -> monotone [0.5, 0.5]
  //   r <= 0.5 (51 points) -> 0.5, above -> 0: AP = 25.5 / 101
  near(stats.AP, 25.5 / 101, 'AP');
  // small: L is ignored; the TP matches the ignored L -> ignored; the FP is unmatched and its
  //   area 22500 is outside [0, 1024] -> ignored. npig 1 (S), no counted dets: recall [0, 0]
  //   precision 0/(0 + eps) = 0 -> AP 0 (not -1: there is a gt), AR 0
  assert.is(stats.APs, 0);
  assert.is(stats.ARs, 0);
  // medium: no gt in [1024, 9216] (S's area is 500 despite its 40x40 box) -> -1
  assert.is(stats.APm, -1);
  assert.is(stats.ARm, -1);
  // large: S ignored, FP (large) counted, then TP: recall [0, 1], precision [0, 0.5] -> 0.5 everywhere
  near(stats.APl, 0.5, 'APl');
  near(stats.ARl, 1, 'ARl');
});

test('maxDets: AR1 < AR10 when an image has more gts than one detection can cover', () => {
  // three gts, three exact dets (0.9, 0.8, 0.7). maxDets 1 keeps one -> recall 1/3 at every IoU.
  const anns: Ann[] = [{ bbox: [0, 0, 10, 10] }, { bbox: [100, 0, 10, 10] }, { bbox: [200, 0, 10, 10] }];
  const dets = anns.map((a, n) => det(a.bbox, 0.9 - 0.1 * n));
  const { stats } = evaluateCoco(gtOf(anns), dets);
  near(stats.AR1, 1 / 3, 'AR1');
  near(stats.AR10, 1, 'AR10');
  near(stats.AR100, 1, 'AR100');
  // custom maxDets [1, 2, 3]: AR at 2 = 2/3; AP reads maxDets = 100, absent -> -1 (pycocotools)
  const custom = evaluateCoco(gtOf(anns), dets, { maxDets: [3, 1, 2] });
  near(custom.stats.AR10, 2 / 3, 'AR at maxDets[1] = 2');
  near(custom.stats.AR100, 1, 'AR at maxDets[2] = 3');
  assert.is(custom.stats.AP, -1);
  near(custom.stats.AP50, 1, 'AP50 at maxDets[2]');
});

test('IoU exactly 0.5 matches at threshold 0.5 and not at 0.55', () => {
  // gt [0,0,10,10], det [0,0,20,10]: intersection 100, union 100 + 200 - 100 = 200 -> IoU 0.5
  const r = evaluateCoco(gtOf([{ bbox: [0, 0, 10, 10] }]), [det([0, 0, 20, 10], 0.9)]);
  near(r.stats.AP50, 1, 'AP50');
  assert.is(r.stats.AP75, 0);
  // only the first of ten thresholds matches: AP = (1 + 9 * 0) / 10, AR likewise
  near(r.stats.AP, 0.1, 'AP');
  near(r.stats.AR100, 0.1, 'AR100');
  const { R, K, A, M } = r.shape;
  assert.is(r.precision[(((1 * R + 0) * K + 0) * A + 0) * M + 2], 0, 'no match at 0.55');
  assert.is(r.recall[((0 * K + 0) * A + 0) * M + 2], 1);
  assert.is(r.recall[((1 * K + 0) * A + 0) * M + 2], 0);
});

test('detections on images without gts are FPs; categories without gts are left out (-1)', () => {
  // image 1: gt of category 1. image 2: no gt. category 2: no gt anywhere.
  // cat 1 dets: image 2 FP (0.9), image 1 TP (0.8) -> recall [0, 1], precision [0, 0.5] -> AP 0.5
  // cat 2: one det (0.99) but no gt -> precision -1 for that category, not averaged.
  const gt = gtOf([{ bbox: [0, 0, 10, 10] }], { images: [1, 2], cats: [1, 2] });
  const r = evaluateCoco(gt, [det([0, 0, 10, 10], 0.9, 2), det([0, 0, 10, 10], 0.8, 1), det([0, 0, 10, 10], 0.99, 1, 2)]);
  near(r.stats.AP, 0.5, 'AP');
  const { R, K, A, M } = r.shape;
  assert.equal(r.params.categoryIds, [1, 2]);
  assert.is(r.precision[(((0 * R + 0) * K + 1) * A + 0) * M + 2], -1);
  assert.is(r.recall[((0 * K + 1) * A + 0) * M + 2], -1);
});

test('score ties across images resolve in ascending image id order (numeric, stable)', () => {
  // both dets score 0.5; image ids 2 and 10 (numeric order 2 < 10; as strings "10" < "2").
  // FP on image 2, TP on image 10 -> FP first -> recall [0, 1], precision [0, 0.5] -> AP 0.5
  const anns: Ann[] = [{ bbox: [0, 0, 10, 10], image_id: 10 }];
  const gt = gtOf(anns, { images: [10, 2] });
  near(evaluateCoco(gt, [det([0, 0, 10, 10], 0.5, 10), det([50, 50, 10, 10], 0.5, 2)]).stats.AP, 0.5, 'FP image first');
  // TP on image 2, FP on image 10 -> TP first -> AP 1
  const gt2 = gtOf([{ bbox: [0, 0, 10, 10], image_id: 2 }], { images: [10, 2] });
  near(evaluateCoco(gt2, [det([50, 50, 10, 10], 0.5, 10), det([0, 0, 10, 10], 0.5, 2)]).stats.AP, 1, 'TP image first');
});

test('no detections: 0 where there is ground truth, -1 where there is none', () => {
  const { stats } = evaluateCoco(gtOf([{ bbox: [0, 0, 10, 10] }]), []);
  assert.is(stats.AP, 0);
  assert.is(stats.AP50, 0);
  assert.is(stats.APs, 0);
  assert.is(stats.APm, -1);
  assert.is(stats.AR100, 0);
  assert.is(stats.ARl, -1);
});

test('bad input: errors name the offending entry', () => {
  const gt = gtOf([{ bbox: [0, 0, 10, 10] }]);
  assert.throws(() => evaluateCoco(gt, [det([0, 0, 10, 10], 0.9, 7)]), /detections\[0\]: image_id 7 is not an image/);
  assert.throws(() => evaluateCoco(gt, [det([0, 0, 10, 10], 0.9, 1, 5)]), /detections\[0\]: category_id 5/);
  assert.throws(() => evaluateCoco(gt, [det([0, 0, -1, 10], 0.9)]), /detections\[0\]: bbox width and height/);
  assert.throws(() => evaluateCoco(gt, [{ ...det([0, 0, 1, 1], 0.9), score: NaN }]), /detections\[0\]: score/);
  const dup = gtOf([{ bbox: [0, 0, 10, 10] }, { bbox: [0, 0, 10, 10] }]);
  dup.annotations[1].id = 1;
  assert.throws(() => evaluateCoco(dup, []), /annotations\[1\]: id 1 is a duplicate/);
  assert.throws(() => evaluateCoco(gtOf([{ bbox: [0, 0, 10, 10], image_id: 3 }]), []), /annotations\[0\]: image_id 3 is not in "images"/);
  assert.throws(() => evaluateCoco(gt, [], { maxDets: [1, 10] }), /maxDets/);
  assert.throws(() => evaluateCoco(gt, [], { iouThresholds: [1.5] }), /iouThresholds/);
});

test.run();
