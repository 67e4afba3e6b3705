// VOC AP on hand-worked cases (the arithmetic is in the comments), following the devkit's voc_eval.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { voc07Ap, vocAp, vocAreaAp, type VocDetection, type VocGroundTruth } from '../trainer/eval/voc-ap.js';
import { boxIouXYXY } from '../runtime/decode/boxes.js';
import type { BoxXYXY } from '../trainer/data/types.js';

const near = (actual: number | null, expected: number, what: string) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= 1e-12, `${what}: expected ${expected}, got ${actual}`);

const det = (imageId: string, b: BoxXYXY, score: number, classId = 0): VocDetection => ({
  imageId,
  box: { xmin: b[0], ymin: b[1], xmax: b[2], ymax: b[3] },
  score,
  classId,
});

test('IoU without +1', () => {
  // [0,0,10,10] vs [5,0,15,10]: intersection 50, union 150
  assert.is(boxIouXYXY([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
});

test('11-point AP with a difficult object and a duplicate', () => {
  // image a: boxes A1 [0,0,10,10], A2 [20,0,30,10]; image b: B1 [0,0,10,10], difficult D [50,50,60,60]
  // npos = 3 (D not counted). Detections by score:
  //   d1 A1 exactly (0.9)  -> TP          tp 1 fp 0
  //   d2 A1 again   (0.8)  -> duplicate FP tp 1 fp 1
  //   d3 D exactly  (0.7)  -> difficult: neither (a row with unchanged sums) tp 1 fp 1
  //   d4 B1 exactly (0.6)  -> TP          tp 2 fp 1
  //   d5 far away   (0.5)  -> FP          tp 2 fp 2
  // rec  = [1/3, 1/3, 1/3, 2/3, 2/3]; prec = [1, 1/2, 1/2, 2/3, 1/2]
  // 11 points t = i * 0.1: t = 0, .1, .2, .30000000000000004 -> max prec over all = 1 (4 points)
  //   t = .4, .5, .6000000000000001 -> rec >= t only at d4, d5 -> 2/3 (3 points)
  //   t = .7000000000000001 .. 1 -> no recall that high -> 0 (4 points)
  // AP = (4 * 1 + 3 * 2/3) / 11 = 6/11
  const gts: VocGroundTruth[] = [
    { imageId: 'a', boxes: [[0, 0, 10, 10], [20, 0, 30, 10]], classIds: [0, 0] },
    { imageId: 'b', boxes: [[0, 0, 10, 10], [50, 50, 60, 60]], classIds: [0, 0], difficult: [false, true] },
  ];
  const dets = [
    det('a', [0, 0, 10, 10], 0.9),
    det('a', [0, 0, 10, 10], 0.8),
    det('b', [50, 50, 60, 60], 0.7),
    det('b', [0, 0, 10, 10], 0.6),
    det('b', [200, 200, 210, 210], 0.5),
  ];
  const r = vocAp(gts, dets, { numClasses: 1 });
  assert.equal(r.npos, [3]);
  near(r.ap[0], 6 / 11, 'AP');
  near(r.mAP, 6 / 11, 'mAP');
});

test('11-point thresholds are np.arange floats: recall 0.3 misses t = 0.30000000000000004', () => {
  // 10 objects, 3 found with precision 1: rec = [0.1, 0.2, 0.3]
  // t = 0, 0.1, 0.2 -> 1; t = 0.30000000000000004 > 0.3 -> 0; so AP = 3/11, not 4/11
  near(voc07Ap([0.1, 0.2, 0.3], [1, 1, 1]), 3 / 11, '07 AP');
  const boxes: BoxXYXY[] = Array.from({ length: 10 }, (_, i) => [i * 20, 0, i * 20 + 10, 10]);
  const gts: VocGroundTruth[] = [{ imageId: 'x', boxes, classIds: boxes.map(() => 0) }];
  const r = vocAp(gts, [det('x', boxes[0], 0.9), det('x', boxes[1], 0.8), det('x', boxes[2], 0.7)], { numClasses: 1 });
  near(r.ap[0], 3 / 11, 'vocAp');
});

test('IoU must be strictly above 0.5', () => {
  // det [0,0,20,10] vs gt [0,0,10,10]: IoU 100 / 200 = 0.5 exactly -> FP (the devkit uses ovmax > 0.5)
  const gts: VocGroundTruth[] = [{ imageId: 'x', boxes: [[0, 0, 10, 10]], classIds: [0] }];
  assert.is(vocAp(gts, [det('x', [0, 0, 20, 10], 0.9)], { numClasses: 1 }).ap[0], 0);
  // [0,0,19.9,10]: IoU 100 / 199 > 0.5 -> TP, precision 1 at every recall -> AP 11 * (1/11)
  near(vocAp(gts, [det('x', [0, 0, 19.9, 10], 0.9)], { numClasses: 1 }).ap[0], 1, 'just above');
});

test('mAP averages the classes that have ground truth; all-point AP', () => {
  // class 0: found (AP 1); class 1: missed (AP 0); class 2: no ground truth -> null, not averaged
  const gts: VocGroundTruth[] = [{ imageId: 'x', boxes: [[0, 0, 10, 10], [20, 0, 30, 10]], classIds: [0, 1] }];
  const r = vocAp(gts, [det('x', [0, 0, 10, 10], 0.9, 0), det('x', [0, 0, 10, 10], 0.8, 2)], { numClasses: 3 });
  near(r.ap[0], 1, 'class 0');
  assert.is(r.ap[1], 0);
  assert.is(r.ap[2], null);
  near(r.mAP, 0.5, 'mAP');
  // all-point: rec [0.5, 0.5, 1], prec [1, 0.5, 2/3] -> envelope [1, 2/3, 2/3]
  // area = (0.5 - 0) * 1 + (1 - 0.5) * 2/3 = 0.5 + 1/3
  near(vocAreaAp([0.5, 0.5, 1], [1, 0.5, 2 / 3]), 0.5 + 1 / 3, 'all-point AP');
});

test('bad input names the entry', () => {
  const gts: VocGroundTruth[] = [{ imageId: 'x', boxes: [[0, 0, 10, 10]], classIds: [0] }];
  assert.throws(() => vocAp(gts, [det('y', [0, 0, 1, 1], 0.9)], {} as never), /numClasses/);
  assert.throws(() => vocAp(gts, [det('y', [0, 0, 1, 1], 0.9)], { numClasses: 1 }), /detections\[0\]: image "y"/);
  assert.throws(() => vocAp(gts, [det('x', [0, 0, 1, 1], 0.9, 4)], { numClasses: 1 }), /detections\[0\]: classId 4/);
  assert.throws(() => vocAp([{ imageId: 'x', boxes: [[5, 0, 1, 10]], classIds: [0] }], [], { numClasses: 1 }), /box 0/);
});

test.run();
