// cornerNetPostprocess: soft-NMS within each class only, rescored detections pooled and capped.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Detection } from '../runtime/decode/boxes.js';
import { cornerNetPostprocess } from '../runtime/decode/postprocess.js';
import { loadKernels } from './helpers/kernels.js';

const det = (xmin: number, ymin: number, xmax: number, ymax: number, score: number, classId: number): Detection => ({ box: { xmin, ymin, xmax, ymax }, score, classId });
const close = (a: number, b: number) => Math.abs(a - b) < 1e-5;

test.before(async () => {
  await loadKernels();
});

test('gaussian (default): an overlapping box of the same class decays by exp(-iou^2 / 0.5); other classes untouched', () => {
  // IoU([0,0,10,10], [0,0,10,5]) = 50 / 100 = 0.5 -> factor exp(-0.5).
  const out = cornerNetPostprocess([det(0, 0, 10, 5, 0.8, 0), det(0, 0, 10, 10, 0.9, 0), det(0, 0, 10, 10, 0.7, 1)]);
  assert.equal(out.map((d) => d.classId), [0, 1, 0]);
  assert.ok(close(out[0].score, 0.9) && close(out[1].score, 0.7));
  assert.ok(close(out[2].score, 0.8 * Math.exp(-0.5)), `decayed score ${out[2].score}`);
  assert.equal(out[2].box, { xmin: 0, ymin: 0, xmax: 10, ymax: 5 });
});

test('hard and linear methods use iouThreshold; boxes below scoreThreshold are dropped', () => {
  const dets = [det(0, 0, 10, 10, 0.9, 0), det(0, 0, 10, 6, 0.8, 0), det(20, 20, 30, 30, 0.5, 0)]; // IoU 0.6, and a separate box
  assert.equal(cornerNetPostprocess(dets, { method: 'hard' }).map((d) => d.score).map(Math.fround), [0.9, 0.5].map(Math.fround));
  const linear = cornerNetPostprocess(dets, { method: 'linear' });
  assert.ok(close(linear[2].score, 0.8 * 0.4), `linear decay ${linear[2].score}`);
  assert.is(cornerNetPostprocess(dets, { method: 'linear', iouThreshold: 0.7 })[1].score.toFixed(5), '0.80000');
  const low = cornerNetPostprocess([det(0, 0, 10, 10, 0.9, 0), det(0, 0, 10, 5, 0.0015, 0)]);
  assert.is(low.length, 1, '0.0015 * exp(-0.5) < 0.001 is dropped');
});

test('maxResults keeps the best across classes, score-descending', () => {
  const dets = Array.from({ length: 30 }, (_, i) => det(i * 20, 0, i * 20 + 10, 10, (i + 1) / 31, i % 3));
  const out = cornerNetPostprocess(dets, { maxResults: 5 });
  assert.equal(out.map((d) => Math.round(d.score * 31)), [30, 29, 28, 27, 26]);
  assert.equal(out.map((d) => d.classId), [29 % 3, 28 % 3, 27 % 3, 26 % 3, 25 % 3]);
  assert.equal(cornerNetPostprocess([]), []);
});

test('bad arguments are Errors naming the argument', () => {
  assert.throws(() => cornerNetPostprocess({} as never), /dets must be an array/);
  assert.throws(() => cornerNetPostprocess([{ box: { xmin: 0, ymin: 0, xmax: 1, ymax: 1 }, score: 1, classId: 0.5 }]), /dets\[0\] must be/);
  assert.throws(() => cornerNetPostprocess([], { method: 'exp' as 'gaussian' }), /options\.method must be 'linear', 'gaussian' or 'hard'/);
  assert.throws(() => cornerNetPostprocess([], { maxResults: 0 }), /options\.maxResults must be a positive integer/);
  assert.throws(() => cornerNetPostprocess([], { sigma: 0 }), /options\.sigma must be a positive finite number/);
});

test.run();
