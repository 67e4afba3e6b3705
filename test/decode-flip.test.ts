// Flip-test merging: averaging a map with the mirrored map of the flipped image, and mirroring
// boxes decoded on a flipped input back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { averageWithFlipped, mirrorDetections } from '../runtime/decode/flip.js';

test('averageWithFlipped = (a + mirror(flipped)) / 2', () => {
  const a = { data: Float32Array.from([1, 2, 3, 4]), shape: [1, 1, 4, 1] };
  const flipped = { data: Float32Array.from([40, 30, 20, 10]), shape: [1, 1, 4, 1] };
  assert.equal(Array.from(averageWithFlipped(a, flipped).data), [5.5, 11, 16.5, 22]);
  assert.throws(() => averageWithFlipped(a, { data: new Float32Array(4), shape: [1, 4, 1, 1] }), /a has shape \[1,1,4,1\] but flipped has \[1,4,1,1\]/);
});

test('mirrorDetections: x -> width - x, so xmin and xmax swap roles; y, score and class kept', () => {
  const dets = [{ box: { xmin: 10, ymin: 5, xmax: 30, ymax: 25 }, score: 0.9, classId: 2 }];
  assert.equal(mirrorDetections(dets, 128), [{ box: { xmin: 98, ymin: 5, xmax: 118, ymax: 25 }, score: 0.9, classId: 2 }]);
  assert.equal(mirrorDetections(mirrorDetections(dets, 128), 128), dets);
  assert.throws(() => mirrorDetections(dets, NaN), /width must be a finite number/);
});

test.run();
