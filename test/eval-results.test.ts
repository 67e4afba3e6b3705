// Detections -> COCO results and datasets -> COCO ground truth, checked through the evaluator.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateCoco } from '../trainer/eval/coco-eval.js';
import { datasetToCocoGt, toCocoResults } from '../trainer/eval/results.js';
import type { Dataset } from '../trainer/data/types.js';

const ds: Dataset = {
  images: [
    {
      id: 'img1',
      file: '/x/img1.jpg',
      width: 100,
      height: 80,
      boxes: [[10, 20, 30, 60], [50, 10, 90, 70]],
      classIds: [0, 1],
      iscrowd: [false, false],
      difficult: [false, true],
      areas: [800, 2400],
    },
  ],
  categories: [{ id: 3, name: 'cat' }, { id: 8, name: 'dog' }],
  categoryIds: [3, 8],
  labels: ['cat', 'dog'],
  warnings: [],
};

test('toCocoResults: xyxy -> xywh, channel -> category id', () => {
  const res = toCocoResults([{ imageId: 'img1', detections: [{ box: { xmin: 10, ymin: 20, xmax: 30, ymax: 60 }, score: 0.9, classId: 1 }] }], [3, 8]);
  assert.equal(res, [{ image_id: 'img1', category_id: 8, bbox: [10, 20, 20, 40], score: 0.9 }]);
  assert.throws(() => toCocoResults([{ imageId: 1, detections: [{ box: { xmin: 0, ymin: 0, xmax: 1, ymax: 1 }, score: 1, classId: 2 }] }], [3, 8]), /image 1 \(entry 0\) detection 0: classId 2 has no category id/);
  assert.throws(() => toCocoResults([{ imageId: 1, detections: [{ box: { xmin: 5, ymin: 0, xmax: 1, ymax: 1 }, score: 1, classId: 0 }] }], [3]), /xmax < xmin/);
});

test('datasetToCocoGt: ids from 1, xywh boxes, stored areas; difficult as crowd / normal / drop', () => {
  const gt = datasetToCocoGt(ds);
  assert.equal(gt.annotations, [
    { id: 1, image_id: 'img1', category_id: 3, bbox: [10, 20, 20, 40], area: 800, iscrowd: 0 },
    { id: 2, image_id: 'img1', category_id: 8, bbox: [50, 10, 40, 60], area: 2400, iscrowd: 1 },
  ]);
  assert.equal(gt.images, [{ id: 'img1', file_name: '/x/img1.jpg', width: 100, height: 80 }]);
  assert.is(datasetToCocoGt(ds, { difficult: 'normal' }).annotations[1].iscrowd, 0);
  assert.is(datasetToCocoGt(ds, { difficult: 'drop' }).annotations.length, 1);
});

test('round trip: the ground truth as detections scores AP 1; a difficult (crowd) object needs no detection', () => {
  const img = ds.images[0];
  const perfect = [{ imageId: img.id, detections: img.boxes.map(([xmin, ymin, xmax, ymax], j) => ({ box: { xmin, ymin, xmax, ymax }, score: 0.9, classId: img.classIds[j] })) }];
  const gt = datasetToCocoGt(ds, { difficult: 'normal' });
  const { stats } = evaluateCoco(gt, toCocoResults(perfect, ds.categoryIds));
  // one TP per category: precision 1 / (1 + 2^-52) -> 1 within 1e-15
  assert.ok(Math.abs(stats.AP - 1) < 1e-12, `AP ${stats.AP}`);
  // only the cat detected; the dog is difficult -> crowd -> ignored: category 8 has no positives (-1), AP is cat's alone
  const onlyCat = [{ imageId: img.id, detections: [perfect[0].detections[0]] }];
  const r = evaluateCoco(datasetToCocoGt(ds), toCocoResults(onlyCat, ds.categoryIds));
  assert.ok(Math.abs(r.stats.AP - 1) < 1e-12, `AP ${r.stats.AP}`);
});

test.run();
