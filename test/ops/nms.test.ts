import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from '../helpers/kernels.js';
import { specKernels } from '../helpers/spec-kernels.js';
import { tfCpu } from '../helpers/tf.js';
import { nms, nmsInto, nmsScratchBytes } from '../../runtime/ops/select.js';
import { clusteredBoxes, contractCases, f32Of, Guarded, i32Of, sameValues } from './pool-helpers.js';

test('nms equals tf.image.nonMaxSuppression (boxes reordered to [y1, x1, y2, x2]) on clustered boxes', async () => {
  await loadKernels();
  const tf = await tfCpu();
  for (const [n, seed] of [[1, 1], [3, 2], [17, 3], [100, 4], [333, 5], [1000, 6]]) {
    for (const ties of [false, true]) {
      for (const iouThreshold of [0.3, 0.5, 0.7]) {
        const { boxes, scores } = clusteredBoxes(n, seed, ties);
        const yx = Float32Array.from(boxes, (_, i) => boxes[(i & ~3) + [1, 0, 3, 2][i & 3]]);
        const ref = tf.tidy(() => tf.image.nonMaxSuppression(tf.tensor2d(yx, [n, 4]), tf.tensor1d(scores), n, iouThreshold, -Infinity));
        const expected = ref.dataSync();
        ref.dispose();
        const keep = nms(boxes, scores, { iouThreshold });
        assert.is(sameValues(keep, expected), undefined, `n=${n} ties=${ties} iou=${iouThreshold}`);
      }
    }
  }
});

test('nmsF32 (SIMD) equals nmsF32Scalar around the 4-box tile, inside its buffers', async () => {
  const kn = await loadKernels();
  for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 64, 201]) {
    for (const iou of [0, 0.4, 1]) {
      const { boxes, scores } = clusteredBoxes(n, n + 11, n % 2 === 0);
      const pb = new Guarded(kn, n * 4, boxes);
      const ps = new Guarded(kn, n, scores);
      const scratch = new Guarded(kn, nmsScratchBytes(n) / 4);
      const k1 = new Guarded(kn, n);
      const k2 = new Guarded(kn, n);
      const c1 = kn.exports.nmsF32(pb.ptr, ps.ptr, n, iou, scratch.ptr, k1.ptr);
      const c2 = specKernels(kn).nmsF32Scalar(pb.ptr, ps.ptr, n, iou, scratch.ptr, k2.ptr);
      assert.is(c1, c2, `n=${n} iou=${iou} count`);
      assert.is(sameValues(k1.i32().slice(0, c1), k2.i32().slice(0, c2)), undefined, `n=${n} iou=${iou}`);
      [pb, ps, scratch, k1, k2].forEach((g) => g.check(`n=${n}`));
      [pb, ps, scratch, k1, k2].forEach((g) => g.release());
    }
  }
});

test('nms: strict IoU > threshold, touching and zero-area boxes never suppress', async () => {
  await loadKernels();
  // boxes 0 and 1 overlap with IoU exactly 1/3 (areas 2 and 2, intersection 1)
  const boxes = Float32Array.from([0, 0, 2, 1, 1, 0, 3, 1, 3, 0, 4, 1, 5, 5, 5, 5, 5, 5, 5, 5]);
  const scores = Float32Array.from([0.9, 0.8, 0.7, 0.6, 0.6]);
  assert.equal(Array.from(nms(boxes, scores, { iouThreshold: 1 / 3 })), [0, 1, 2, 3, 4], 'IoU = threshold keeps; touching boxes keep');
  assert.equal(Array.from(nms(boxes, scores, { iouThreshold: 0.3 })), [0, 2, 3, 4], 'IoU > threshold suppresses');
  assert.equal(Array.from(nms(boxes, Float32Array.from([0.5, 0.5, 0.5, 0.5, 0.5]), { iouThreshold: 0.3 })), [0, 2, 3, 4], 'ties: lower index first');
  assert.equal(nms(new Float32Array(0), new Float32Array(0), { iouThreshold: 0.5 }).length, 0);
});

for (const [i, c] of contractCases('nms.json').entries()) {
  test(`nms contract case ${i} (PyTorch): ${(c.scores as { shape: number[] }).shape[0]} boxes`, async () => {
    await loadKernels();
    const keep = nms(f32Of(c.boxes), f32Of(c.scores), { iouThreshold: c.iouThreshold as number });
    assert.is(sameValues(keep, i32Of(c.keep)), undefined);
  });
}

test('nms rejects bad input with errors that name the argument', async () => {
  const kn = await loadKernels();
  const b = Float32Array.from([0, 0, 1, 1]);
  const s = Float32Array.from([1]);
  assert.throws(() => nms(Float32Array.from([0, 0, 1]), Float32Array.from([1]), { iouThreshold: 0.5 }), /nms: boxes has 3 values, not a multiple of 4/);
  assert.throws(() => nms(b, Float32Array.from([1, 2]), { iouThreshold: 0.5 }), /scores has 2 values but boxes has 1 boxes/);
  assert.throws(() => nms(b, s, { iouThreshold: 1.5 }), /iouThreshold must be a number in \[0, 1\], got 1.5/);
  assert.throws(() => nms(b, s, { iouThreshold: NaN }), /iouThreshold must be a number in \[0, 1\]/);
  assert.throws(() => nms(b, s, {} as { iouThreshold: number }), /iouThreshold must be a number in \[0, 1\], got undefined/);
  assert.throws(() => nms(b, s, undefined as unknown as { iouThreshold: number }), /options \{ iouThreshold \} are required/);
  assert.throws(() => nms([0, 0, 1, 1] as unknown as Float32Array, s, { iouThreshold: 0.5 }), /boxes must be a Float32Array/);
  assert.throws(() => nms(b, [1] as unknown as Float32Array, { iouThreshold: 0.5 }), /scores must be a Float32Array/);
  assert.throws(() => nms(Float32Array.from([2, 0, 1, 1]), s, { iouThreshold: 0.5 }), /box 0 \[2, 0, 1, 1\] has x2 < x1 or y2 < y1/);
  assert.throws(() => nms(Float32Array.from([0, 0, NaN, 1]), s, { iouThreshold: 0.5 }), /box 0 has a non-finite coordinate/);
  assert.throws(() => nms(b, Float32Array.from([NaN]), { iouThreshold: 0.5 }), /scores\[0\] is NaN, scores must be finite/);
  assert.throws(() => nmsInto(kn, 0, 0, 10, 0.5, kn.exports.memory.buffer.byteLength - 16, 0), /scratch .* is outside kernel memory/);
});

test.run();
