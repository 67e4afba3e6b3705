import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from '../helpers/kernels.js';
import { specKernels } from '../helpers/spec-kernels.js';
import { maxRelError } from '../helpers/random.js';
import { softNms, softNmsInto, softNmsScratchBytes, type SoftNmsMethod } from '../../runtime/ops/select.js';
import { clusteredBoxes, contractCases, f32Of, Guarded, i32Of, sameValues } from './pool-helpers.js';

const METHODS: SoftNmsMethod[] = ['linear', 'gaussian', 'hard'];
const CODE: Record<SoftNmsMethod, number> = { hard: 0, linear: 1, gaussian: 2 };

/**
 * DESIGN.md's soft-NMS in float64: boxes below scoreThreshold never enter; repeatedly select the
 * highest remaining score (ties: lower index) and decay every remaining box that overlaps it.
 */
function reference(boxes: Float32Array, scores: Float32Array, method: SoftNmsMethod, iouThreshold: number, sigma: number, scoreThreshold: number) {
  const n = scores.length;
  const s = Array.from(scores, (v) => (v >= scoreThreshold ? v : undefined));
  const area = (i: number) => (boxes[4 * i + 2] - boxes[4 * i]) * (boxes[4 * i + 3] - boxes[4 * i + 1]);
  const indices: number[] = [];
  const out: number[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < n; i++) if (s[i] !== undefined && (best < 0 || s[i]! > s[best]!)) best = i;
    if (best < 0) break;
    indices.push(best);
    out.push(s[best]!);
    s[best] = undefined;
    for (let j = 0; j < n; j++) {
      if (s[j] === undefined) continue;
      const iw = Math.min(boxes[4 * best + 2], boxes[4 * j + 2]) - Math.max(boxes[4 * best], boxes[4 * j]);
      const ih = Math.min(boxes[4 * best + 3], boxes[4 * j + 3]) - Math.max(boxes[4 * best + 1], boxes[4 * j + 1]);
      if (iw <= 0 || ih <= 0) continue;
      const iou = (iw * ih) / (area(best) + area(j) - iw * ih);
      const weight = method === 'gaussian' ? Math.exp(-(iou * iou) / sigma) : iou > iouThreshold ? (method === 'linear' ? 1 - iou : 0) : 1;
      const decayed = s[j]! * weight;
      s[j] = decayed < scoreThreshold ? undefined : decayed;
    }
  }
  return { indices, scores: out };
}

test('softNms equals the float64 definition on clustered boxes (indices exact, scores to 1e-5)', async () => {
  await loadKernels();
  for (const [n, seed] of [[1, 1], [2, 2], [5, 3], [33, 4], [200, 5], [1000, 6]]) {
    for (const ties of [false, true]) {
      for (const method of METHODS) {
        for (const [iouThreshold, sigma, scoreThreshold] of [[0.5, 0.5, 0.001], [0.3, 0.1, 0.05], [0.7, 2, 0]]) {
          const { boxes, scores } = clusteredBoxes(n, seed, ties);
          const ours = softNms(boxes, scores, { method, iouThreshold, sigma, scoreThreshold });
          const ref = reference(boxes, scores, method, iouThreshold, sigma, scoreThreshold);
          const label = `n=${n} ties=${ties} ${method} iou=${iouThreshold} sigma=${sigma} thr=${scoreThreshold}`;
          assert.is(sameValues(ours.indices, ref.indices), undefined, label);
          assert.ok(maxRelError(ours.scores, ref.scores, 1e-6) <= 1e-5, `${label}: score error ${maxRelError(ours.scores, ref.scores, 1e-6)}`);
          assert.ok(ours.scores.every((v) => v >= scoreThreshold), `${label}: no score below the threshold`);
        }
      }
    }
  }
});

test('softNmsF32 (SIMD) equals softNmsF32Scalar bit for bit around the 4-box tile and across squeezes, inside its buffers', async () => {
  const kn = await loadKernels();
  for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 18, 63, 64, 65, 300]) {
    for (const method of METHODS) {
      const { boxes, scores } = clusteredBoxes(n, 1000 + n, n % 3 === 0);
      const pb = new Guarded(kn, n * 4, boxes);
      const ps = new Guarded(kn, n, scores);
      const scratch = new Guarded(kn, softNmsScratchBytes(n) / 4);
      const [i1, s1, i2, s2] = [0, 1, 2, 3].map(() => new Guarded(kn, n));
      const c1 = kn.exports.softNmsF32(pb.ptr, ps.ptr, n, CODE[method], 0.4, 0.5, 0.01, scratch.ptr, i1.ptr, s1.ptr);
      const c2 = specKernels(kn).softNmsF32Scalar(pb.ptr, ps.ptr, n, CODE[method], 0.4, 0.5, 0.01, scratch.ptr, i2.ptr, s2.ptr);
      const label = `n=${n} ${method}`;
      assert.is(c1, c2, `${label} count`);
      assert.is(sameValues(i1.i32().slice(0, c1), i2.i32().slice(0, c2)), undefined, `${label} indices`);
      assert.is(sameValues(s1.f32().slice(0, c1), s2.f32().slice(0, c2)), undefined, `${label} scores`);
      [pb, ps, scratch, i1, s1, i2, s2].forEach((g) => g.check(label));
      [pb, ps, scratch, i1, s1, i2, s2].forEach((g) => g.release());
    }
  }
});

test('softNms: hard with scoreThreshold 0 keeps suppressed boxes at score 0; hard otherwise equals NMS', async () => {
  await loadKernels();
  const boxes = Float32Array.from([0, 0, 10, 10, 1, 0, 11, 10, 20, 20, 30, 30]);
  const scores = Float32Array.from([0.9, 0.8, 0.7]);
  const zero = softNms(boxes, scores, { method: 'hard', scoreThreshold: 0 });
  assert.equal(Array.from(zero.indices), [0, 2, 1]);
  assert.equal(Array.from(zero.scores), [Math.fround(0.9), Math.fround(0.7), 0]);
  const dropped = softNms(boxes, scores, { method: 'hard' });
  assert.equal(Array.from(dropped.indices), [0, 2]);
  // linear: IoU of boxes 0 and 1 is 90 / 110, so box 1 keeps 0.8 * (1 - 90 / 110)
  const lin = softNms(boxes, scores, { method: 'linear' });
  assert.equal(Array.from(lin.indices), [0, 2, 1]);
  assert.ok(Math.abs(lin.scores[2] - 0.8 * (20 / 110)) < 1e-6);
  // a box that starts below scoreThreshold is never returned
  assert.equal(Array.from(softNms(boxes, Float32Array.from([0.9, 0.0005, 0.7]), { method: 'gaussian' }).indices), [0, 2]);
});

for (const [i, c] of contractCases('softNms.json').entries()) {
  test(`softNms contract case ${i} (PyTorch/Cython): ${c.method}, ${(c.scores as { shape: number[] }).shape[0]} boxes`, async () => {
    await loadKernels();
    const r = softNms(f32Of(c.boxes), f32Of(c.scores), {
      method: c.method as SoftNmsMethod,
      iouThreshold: c.iouThreshold as number,
      sigma: c.sigma as number,
      scoreThreshold: c.scoreThreshold as number,
    });
    assert.is(sameValues(r.indices, i32Of(c.indices)), undefined);
    assert.ok(maxRelError(r.scores, f32Of(c.finalScores)) <= 1e-4);
  });
}

test('softNms rejects bad input with errors that name the argument', async () => {
  const kn = await loadKernels();
  const b = Float32Array.from([0, 0, 1, 1]);
  const s = Float32Array.from([1]);
  assert.throws(() => softNms(b, s, { method: 'soft' as SoftNmsMethod }), /softNms: method must be 'linear', 'gaussian' or 'hard', got "soft"/);
  assert.throws(() => softNms(b, s, {} as { method: SoftNmsMethod }), /method must be .* got undefined/);
  assert.throws(() => softNms(b, s, undefined as unknown as { method: SoftNmsMethod }), /options \{ method, iouThreshold\?, sigma\?, scoreThreshold\? \} are required/);
  assert.throws(() => softNms(b, s, { method: 'linear', iouThreshold: -0.1 }), /iouThreshold must be a number in \[0, 1\], got -0.1/);
  assert.throws(() => softNms(b, s, { method: 'gaussian', sigma: 0 }), /sigma must be a positive finite number, got 0/);
  assert.throws(() => softNms(b, s, { method: 'gaussian', scoreThreshold: NaN }), /scoreThreshold must be a finite number, got NaN/);
  assert.throws(() => softNms(Float32Array.from([0, 0, 1, 1, 0]), s, { method: 'hard' }), /boxes has 5 values, not a multiple of 4/);
  assert.throws(() => softNms(b, Float32Array.from([1, 1]), { method: 'hard' }), /scores has 2 values but boxes has 1 boxes/);
  assert.throws(() => softNms(b, Float32Array.from([Infinity]), { method: 'hard' }), /scores\[0\] is Infinity, scores must be finite/);
  assert.throws(() => softNms(Float32Array.from([0, 1, 1, 0]), s, { method: 'hard' }), /box 0 .* has x2 < x1 or y2 < y1/);
  assert.throws(() => softNmsInto(kn, 0, 0, 4, { method: 'linear' }, 0, kn.exports.memory.buffer.byteLength, 0), /outIndices .* is outside kernel memory/);
});

test.run();
