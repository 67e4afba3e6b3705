// Batch assembly: one image's pixels and objects through the validation and the training paths
// (boxes by hand from the drawn affine, crowd flags and classes following the kept boxes), NHWC
// layout of the batch, targets made from exactly the boxes the batch reports and concatenated
// image after image, and the errors for inconsistent targets and bad configs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleBatch, checkSampleConfig, concatTargets, prepareSample, type SampleConfig, type SourceObjects } from '../trainer/data/batches.js';
import type { RgbImage } from '../trainer/data/image-io.js';
import { sampleRandom } from '../trainer/data/sample-random.js';
import { resolveTargetSpec } from '../trainer/data/target-spec.js';
import type { BoxXYXY } from '../trainer/data/types.js';
import { buildTargets } from './helpers/placeholder-targets.js';
import { rng } from './helpers/random.js';

const MEAN: [number, number, number] = [0.47, 0.45, 0.41];
const STD: [number, number, number] = [0.28, 0.27, 0.29];

function image(w: number, h: number, seed: number): RgbImage {
  const r = rng(seed);
  return { data: Uint8Array.from({ length: w * h * 3 }, () => Math.floor(r() * 256)), width: w, height: h };
}

const objects: SourceObjects = {
  boxes: [
    [10, 12, 40, 50],
    [60, 5, 90, 30],
    [0, 0, 100, 80],
    [95, 70, 100, 80],
  ],
  classIds: [2, 0, 1, 3],
  iscrowd: [false, true, false, false],
};

test('validation path: centred geometry by hand, pixels normalised, objects in input pixels', () => {
  const rgb = image(100, 80, 1);
  const config: SampleConfig = { inputSize: [64, 64], mean: MEAN, std: STD, augment: false };
  const out = new Float32Array(64 * 64 * 3);
  const s = prepareSample({ rgb, objects, rng: sampleRandom(1, 0, 0) }, config, out);
  // the 100-wide image fills the 64-wide input: k = 0.64, centred vertically: ty = 32 - 0.64 * 40
  const k = 0.64;
  const ty = 32 - k * 40;
  const want = objects.boxes.map((b) => [b[0] * k, b[1] * k + ty, b[2] * k, b[3] * k + ty]);
  assert.equal(Array.from(s.classIds), [2, 0, 1, 3]);
  assert.equal(Array.from(s.crowd), [0, 1, 0, 0]);
  want.flat().forEach((v, i) => assert.ok(Math.abs(s.boxes[i] - v) < 1e-4, `coordinate ${i}: ${s.boxes[i]} vs ${v}`));
  // rows above the image (y < ty = 6.4) are padding: 0 before normalisation
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(out[c] - (0 - MEAN[c]) / STD[c]) < 1e-6);
});

test('same size, no augmentation: every pixel is (v / 255 - mean) / std', () => {
  const rgb = image(32, 32, 2);
  const out = new Float32Array(32 * 32 * 3);
  prepareSample({ rgb, objects: { boxes: [], classIds: [], iscrowd: [] }, rng: sampleRandom(1, 0, 0) }, { inputSize: [32, 32], mean: MEAN, std: STD, augment: false }, out);
  out.forEach((v, i) => assert.ok(Math.abs(v - (rgb.data[i] / 255 - MEAN[i % 3]) / STD[i % 3]) < 1e-5, `value ${i}`));
});

test('training path: boxes are the drawn affine applied by hand, clipped; classes and crowd follow the kept boxes', () => {
  const rgb = image(100, 80, 3);
  const config: SampleConfig = { inputSize: [64, 64], mean: MEAN, std: STD, augment: { border: 16 } };
  let dropped = 0;
  for (let index = 0; index < 30; index++) {
    const s = prepareSample({ rgb, objects, rng: sampleRandom(5, 2, index) }, config, new Float32Array(64 * 64 * 3));
    const a = s.affine;
    const kept: number[] = [];
    const want: number[] = [];
    objects.boxes.forEach((b, k) => {
      const xs = [a.sx * b[0] + a.tx, a.sx * b[2] + a.tx].map((v) => Math.min(64, Math.max(0, v)));
      const ys = [a.sy * b[1] + a.ty, a.sy * b[3] + a.ty].map((v) => Math.min(64, Math.max(0, v)));
      const box = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
      if (box[2] - box[0] > 0 && box[3] - box[1] > 0) {
        kept.push(k);
        want.push(...box);
      }
    });
    dropped += objects.boxes.length - kept.length;
    assert.equal(Array.from(s.classIds), kept.map((k) => objects.classIds[k]));
    assert.equal(Array.from(s.crowd), kept.map((k) => (objects.iscrowd[k] ? 1 : 0)));
    want.forEach((v, i) => assert.ok(Math.abs(s.boxes[i] - v) < 1e-4, `index ${index} coordinate ${i}`));
  }
  assert.ok(dropped > 0, 'some crops lose a box');
});

test('a batch: NHWC slots per image, targets from the reported boxes, concatenated in batch order', () => {
  const config: SampleConfig = { inputSize: [48, 64], mean: MEAN, std: STD, augment: {} };
  const spec = resolveTargetSpec({ kind: 'centernet', outputStride: 4, numClasses: 4, maxObjects: 6 }, [48, 64]);
  const samples = [0, 1, 2].map((i) => ({ rgb: image(90 + 10 * i, 70, 10 + i), objects, rng: sampleRandom(3, 1, i) }));
  const batch = assembleBatch(samples, config, (b, c, cr) => buildTargets(spec, b, c, cr));
  assert.equal(batch.shape, [3, 48, 64, 3]);
  assert.is(batch.input.length, 3 * 48 * 64 * 3);
  const plane = 48 * 64 * 3;
  samples.forEach((sample, b) => {
    // the same image prepared alone, with a fresh copy of its stream, fills slot b
    const alone = new Float32Array(plane);
    const s = prepareSample({ ...sample, rng: sampleRandom(3, 1, b) }, config, alone);
    assert.equal(Array.from(batch.input.subarray(b * plane, (b + 1) * plane)), Array.from(alone), `image ${b} pixels`);
    assert.equal(Array.from(batch.objects[b].boxes), Array.from(s.boxes));
    const boxes: BoxXYXY[] = [];
    for (let k = 0; k < s.boxes.length; k += 4) boxes.push([s.boxes[k], s.boxes[k + 1], s.boxes[k + 2], s.boxes[k + 3]]);
    const t = buildTargets(spec, boxes, Array.from(s.classIds), Array.from(s.crowd, (c) => c === 1));
    assert.equal(Array.from(batch.targets.corners.subarray(b * 24, (b + 1) * 24)), Array.from(t.corners as Float32Array));
    assert.equal(Array.from(batch.targets.centreCells.subarray(b * 6, (b + 1) * 6)), Array.from(t.centreCells as Int32Array));
    assert.is(batch.targets.count[b], t.count);
  });
  assert.instance(batch.targets.classes, Int32Array);
  assert.instance(batch.targets.count, Float32Array);
  assert.is(batch.targets.count.length, 3);
});

test('concatTargets refuses images whose targets disagree', () => {
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => concatTargets([{ a: f(2) }, { b: f(2) }]), /image 1 of the batch has targets \[b\], image 0 has \[a\]/);
  assert.throws(() => concatTargets([{ a: f(2) }, { a: f(3) }]), /"a" of image 1 is Float32Array\(3\), image 0 has Float32Array\(2\)/);
  assert.throws(() => concatTargets([{ a: f(2) }, { a: new Int32Array(2) }]), /"a" of image 1 is Int32Array\(2\)/);
  assert.throws(() => concatTargets([{ a: 1 }, { a: f(1) }]), /"a" is a number for image 0 but not for image 1/);
  assert.throws(() => concatTargets([{ a: new Float64Array(2) as unknown as Float32Array }]), /must be a Float32Array, Int32Array or number, got Float64Array\(2\)/);
  assert.equal(concatTargets([]), {});
});

test('config errors name the field', () => {
  const ok: SampleConfig = { inputSize: [64, 64], mean: MEAN, std: STD, augment: {} };
  checkSampleConfig(ok);
  const bad = (patch: Partial<SampleConfig>, re: RegExp) => assert.throws(() => checkSampleConfig({ ...ok, ...patch }), re);
  bad({ inputSize: [64, 0] }, /inputSize must be \[height, width\] positive integers/);
  bad({ mean: [0, 0] as unknown as [number, number, number] }, /mean must be 3 finite numbers/);
  bad({ std: [0.2, 0, 0.2] }, /std must be positive/);
  bad({ minBoxSize: -1 }, /minBoxSize must be a non-negative number/);
  bad({ augment: { mode: 'yolo' as 'centernet' } }, /augment.mode must be 'centernet', 'cornernet' or 'saccade', got "yolo"/);
  bad({ augment: { scales: [] } }, /augment.scales must be a non-empty list/);
  bad({ augment: { flip: 2 } }, /augment.flip must be a probability/);
  bad({ augment: { jitter: 1 } }, /augment.jitter must be in \[0, 1\)/);
  bad({ augment: { lighting: -0.1 } }, /augment.lighting must be a non-negative number/);
  bad({ augment: { eigVec: [[1, 0, 0]] } }, /augment.eigVec must be a 3x3 matrix/);
  bad({ inputSize: [1, 1], augment: { mode: 'cornernet', scales: [0.5] } }, /makes an empty crop/);
});

test.run();
