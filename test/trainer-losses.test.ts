// Losses against values worked out by hand on tiny tensors (the arithmetic is in the comments).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Scalar, Tensor, Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { CENTERNET_HEADS, CORNERNET_HEADS } from '../runtime/model/names.js';
import { selectBackend, type TF } from '../trainer/backend.js';
import { pullPushLoss } from '../trainer/losses/ae.js';
import { centerNetLoss } from '../trainer/losses/centernet-loss.js';
import { cornerNetLoss } from '../trainer/losses/cornernet-loss.js';
import { clampedSigmoid, focalLoss } from '../trainer/losses/focal.js';
import { offsetSmoothL1Loss, regL1Loss, smoothL1 } from '../trainer/losses/regression.js';

const cpu = async (): Promise<TF> => (await selectBackend('cpu', { log: () => {} })).tf;
const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
const logit = (p: number) => Math.log(p / (1 - p));
const value = (t: Tensor) => t.dataSync()[0];

test('focalLoss: one positive and one penalty-reduced negative', async () => {
  const tf = await cpu();
  // heatmap [1, 1, 2, 1], gt = [1, 0.5], p = [0.8, 0.3]:
  //   positive: (1 - 0.8)^2 ln 0.8 = 0.04 * -0.2231436 = -0.00892574
  //   negative: (1 - 0.5)^4 0.3^2 ln 0.7 = 0.0625 * 0.09 * -0.3566749 = -0.00200630
  //   N = 1: L = 0.01093204
  const pred = clampedSigmoid(tf, tf.tensor4d([logit(0.8), logit(0.3)], [1, 1, 2, 1]));
  close(value(focalLoss(tf, pred, tf.tensor4d([1, 0.5], [1, 1, 2, 1]))), 0.01093204);
  // Two positives: the same sum over N = 2. p = [0.8, 0.6], gt = [1, 1]:
  //   0.04 ln 0.8 + 0.16 ln 0.6 = -0.00892574 - 0.08173210 = -0.09065784 -> L = 0.04532892
  const two = clampedSigmoid(tf, tf.tensor4d([logit(0.8), logit(0.6)], [1, 1, 2, 1]));
  close(value(focalLoss(tf, two, tf.tensor4d([1, 1], [1, 1, 2, 1]))), 0.04532892);
});

test('focalLoss: no positives gives -sum of the negative terms, undivided', async () => {
  const tf = await cpu();
  // gt = [0, 0.5], p = [0.2, 0.6]: 1 * 0.04 ln 0.8 + 0.0625 * 0.36 ln 0.4
  //   = -0.00892574 + 0.0225 * -0.9162907 = -0.00892574 - 0.02061654 -> L = 0.02954228
  const pred = clampedSigmoid(tf, tf.tensor4d([logit(0.2), logit(0.6)], [1, 1, 2, 1]));
  close(value(focalLoss(tf, pred, tf.tensor4d([0, 0.5], [1, 1, 2, 1]))), 0.02954228);
});

test("focalLoss with a mask (CornerNet-Saccade's _focal_loss_mask): masked terms drop out, N still counts every positive", async () => {
  const tf = await cpu();
  // gt = [1, 1, 0], p = [0.8, 0.6, 0.3], mask = [1, 0, 1]:
  //   positive 0: 0.04 ln 0.8 = -0.00892574; positive 1 masked out;
  //   negative 2: 1 * 0.09 ln 0.7 = -0.03210074; N = 2 (both positives) -> L = 0.02051324
  const pred = clampedSigmoid(tf, tf.tensor4d([logit(0.8), logit(0.6), logit(0.3)], [1, 1, 3, 1]));
  const gt = tf.tensor4d([1, 1, 0], [1, 1, 3, 1]);
  close(value(focalLoss(tf, pred, gt, tf.tensor4d([1, 0, 1], [1, 1, 3, 1]))), 0.02051324);
  // all ones: the unmasked loss, (0.00892574 + 0.16 * 0.5108256 + 0.03210074) / 2 = 0.06137562
  close(value(focalLoss(tf, pred, gt, tf.ones([1, 1, 3, 1]))), value(focalLoss(tf, pred, gt)));
  close(value(focalLoss(tf, pred, gt)), 0.06137562);
  assert.throws(() => focalLoss(tf, pred, gt, tf.ones([1, 1, 2, 1])), /mask \[1,1,2,1\] and gt \[1,1,3,1\] differ in shape/);
});

test('clampedSigmoid: extreme logits give finite losses and no gradient beyond the clamp', async () => {
  const tf = await cpu();
  const logits = tf.tensor4d([100, -100], [1, 1, 2, 1]);
  const gt = tf.tensor4d([0, 1], [1, 1, 2, 1]);
  // p = [1 - 1e-4, 1e-4] after the clamp, both maximally wrong; each term is
  //   (1 - 1e-4)^2 ln(1e-4) = 0.99980001 * -9.2103404 = -9.2084985 -> L = 18.416997
  // (float32 rounds 1 - (1 - 1e-4) to 1.00017e-4, which moves L by 2e-4).
  const loss = value(focalLoss(tf, clampedSigmoid(tf, logits), gt));
  close(loss, 18.416997, 1e-4);
  const g = tf.grad((x: Tensor) => focalLoss(tf, clampedSigmoid(tf, x), gt))(logits);
  assert.equal(Array.from(g.dataSync()), [0, 0]);
});

test('smoothL1: 0.5 x^2 inside |x| < 1, |x| - 0.5 outside; gradient x resp. sign(x)', async () => {
  const tf = await cpu();
  const x = tf.tensor1d([0.5, -2, 1, 0, -0.3]);
  // 0.5 * 0.25 = 0.125; 2 - 0.5 = 1.5; 1 - 0.5 = 0.5; 0; 0.5 * 0.09 = 0.045
  const y = Array.from(smoothL1(tf, x).dataSync());
  [0.125, 1.5, 0.5, 0, 0.045].forEach((v, i) => close(y[i], v));
  const g = Array.from(tf.grad((t: Tensor) => tf.sum(smoothL1(tf, t)))(x).dataSync());
  [0.5, -1, 1, 0, -0.3].forEach((v, i) => close(g[i], v));
});

test('regL1Loss (CenterNet): |pred - gt| over masked coordinates / (2 * objects + 1e-4)', async () => {
  const tf = await cpu();
  // Slot 0 real: |1 - 2| + |2 - 4| = 3; slot 1 empty (its wild prediction is masked out).
  // Divided by mask summed over both coordinates: 2 + 1e-4 -> 1.4999250
  const pred = tf.tensor3d([1, 2, 500, -500], [1, 2, 2]);
  const gt = tf.tensor3d([2, 4, 0, 0], [1, 2, 2]);
  close(value(regL1Loss(tf, pred, gt, tf.tensor2d([1, 0], [1, 2]))), 1.499925);
  assert.throws(() => regL1Loss(tf, pred, gt, tf.tensor2d([1, 0, 0], [1, 3])), /mask must be \[1,2\], got \[1,3\]/);
});

test('offsetSmoothL1Loss (CornerNet): smooth L1 over the objects coordinates / (objects + 1e-4)', async () => {
  const tf = await cpu();
  // Batch of 2, 2 slots: image 0 has 2 objects with errors (0.5, 0.2) and (3, 0); image 1 none.
  //   0.125 + 0.02 + 2.5 + 0 = 2.645; / (2 + 1e-4) = 1.3224339
  const pred = tf.tensor3d([0.5, 0.2, 3, 0, 9, 9, 9, 9], [2, 2, 2]);
  const gt = tf.tensor3d([0, 0, 0, 0, 0, 0, 0, 0], [2, 2, 2]);
  close(value(offsetSmoothL1Loss(tf, pred, gt, tf.tensor2d([1, 1, 0, 0], [2, 2]))), 1.3224339);
});

test('pullPushLoss: two objects, hand-computed', async () => {
  const tf = await cpu();
  // tl = [0, 0.6], br = [0.2, 0.6] -> e = [0.1, 0.6], N = 2.
  //   pull = [(0 - 0.1)^2 + (0.2 - 0.1)^2 + 0 + 0] / (2 + 1e-4) = 0.02 / 2.0001 = 0.00999950
  //   push: pairs (k, j) over N^2 = 4: max(0, 1 - |e_k - e_j|) = 1, 1 (diagonal), 0.5, 0.5;
  //         each minus 1 / 2.0001: 3 - 4 / 2.0001 = 1.00009999; / (2 * 1 + 1e-4) = 0.50002499
  const { pull, push } = pullPushLoss(tf, tf.tensor2d([0, 0.6], [1, 2]), tf.tensor2d([0.2, 0.6], [1, 2]), tf.tensor2d([1, 1], [1, 2]));
  close(value(pull), 0.0099995);
  close(value(push), 0.50002499);
  // Far apart embeddings (|e_k - e_j| = 1.7 > margin): push is only the 1e-4 residue of the diagonal:
  //   (2 - 4 / 2.0001) / 2.0001 = 4.9995e-5
  const far = pullPushLoss(tf, tf.tensor2d([0, 2], [1, 2]), tf.tensor2d([1, 2.4], [1, 2]), tf.tensor2d([1, 1], [1, 2]));
  assert.ok(Math.abs(value(far.push) - 4.9995e-5) < 2e-6, `${value(far.push)}`);
  // pull (0.25 + 0.25 + 0.04 + 0.04) / 2.0001 = 0.28998550
  close(value(far.pull), 0.2899855);
});

test('pullPushLoss: the single-object quirk (push ~ 1, no gradient) and an empty image contributes 0', async () => {
  const tf = await cpu();
  // Image 0: one object, tl 0.3, br 0.5, e = 0.4: pull = (0.01 + 0.01) / 1.0001 = 0.01999800;
  //   push = (1 - 1 / 1.0001) / (0 + 1e-4) = 0.99990001. Image 1: no objects (its slots are junk).
  const tl = tf.tensor2d([0.3, 7, 5, 5], [2, 2]);
  const br = tf.tensor2d([0.5, -7, 5, 5], [2, 2]);
  const mask = tf.tensor2d([1, 0, 0, 0], [2, 2]);
  const { pull, push } = pullPushLoss(tf, tl, br, mask);
  close(value(pull), 0.019998);
  close(value(push), 0.9999, 1e-3); // float32 cancellation in 1 - 1/1.0001
  const [gtl, gbr] = tf.grads((a: Tensor, b: Tensor) => pullPushLoss(tf, a as Tensor2D, b as Tensor2D, mask).push)([tl, br]);
  assert.equal(Array.from(gtl.dataSync()), [0, 0, 0, 0]);
  assert.equal(Array.from(gbr.dataSync()), [0, 0, 0, 0]);
});

test('centerNetLoss: focal + 0.1 L1(wh) + L1(reg), gathered at the centre, averaged over two equal stacks', async () => {
  const tf = await cpu();
  // 2 x 2 map, one class, logits 0 (p = 0.5), one object centred at pixel 3 (index 3):
  //   focal: positive 0.25 ln 0.5 = -0.1732868; 3 negatives (gt 0) 0.25 ln 0.5 each: L = 4 * 0.1732868 = 0.6931472
  //   wh at pixel 3 = (3, 5) vs (4, 4): (1 + 1) / (2 + 1e-4) = 0.9999500
  //   reg at pixel 3 = (0.5, 0.5) vs (0.25, 0.75): 0.5 / 2.0001 = 0.2499875
  //   total = 0.6931472 + 0.1 * 0.99995 + 0.2499875 = 1.0431297
  const hm = tf.zeros([1, 2, 2, 1]) as Tensor4D;
  const wh = tf.tensor4d([9, 9, 9, 9, 9, 9, 3, 5], [1, 2, 2, 2]);
  const reg = tf.tensor4d([0, 0, 0, 0, 0, 0, 0.5, 0.5], [1, 2, 2, 2]);
  const outputs = new Map([
    [CENTERNET_HEADS.heatmap, [hm, hm]],
    [CENTERNET_HEADS.size, [wh, wh]],
    [CENTERNET_HEADS.offset, [reg, reg]],
  ]);
  const targets = {
    heatmap: tf.tensor4d([0, 0, 0, 1], [1, 2, 2, 1]),
    size: tf.tensor3d([4, 4, 0, 0], [1, 2, 2]),
    offset: tf.tensor3d([0.25, 0.75, 0, 0], [1, 2, 2]),
    index: tf.tensor2d([3, 0], [1, 2], 'int32'),
    mask: tf.tensor2d([1, 0], [1, 2]),
  };
  const loss = centerNetLoss(tf, outputs, targets);
  close(value(loss.heatmap), 0.6931472);
  close(value(loss.size), 0.99995);
  close(value(loss.offset), 0.2499875);
  close(value(loss.total), 1.0431297);
  assert.throws(() => centerNetLoss(tf, new Map([[CENTERNET_HEADS.heatmap, [hm]]]), targets), /no head "wh"/);
});

test('cornerNetLoss: (focal tl + br) + 0.1 pull + 0.1 push + smooth-L1 offsets, summed over stacks / stacks', async () => {
  const tf = await cpu();
  // 2 x 2 map, one class, heat logits 0; one object: tl at pixel 0, br at pixel 3.
  //   focal per corner map = ln 2 (as above): tl + br = 1.3862944
  //   tags: tl 0 at pixel 0, br 0.4 at pixel 3, e = 0.2: pull = (0.04 + 0.04) / 1.0001 = 0.07999200;
  //         push = single-object quirk 0.9999
  //   offsets: tl (0.5, 0) vs (0, 0): 0.125; br (2, 0) vs (0, 0): 1.5; / (1 + 1e-4): 1.6248375
  //   per stack: 1.3862944 + 0.1 * 0.079992 + 0.1 * 0.9999 + 1.6248375 = 3.1191211; two equal stacks / 2 = the same.
  const heat = tf.zeros([1, 2, 2, 1]) as Tensor4D;
  const tlTag = tf.tensor4d([0, 9, 9, 9], [1, 2, 2, 1]);
  const brTag = tf.tensor4d([9, 9, 9, 0.4], [1, 2, 2, 1]);
  const tlOff = tf.tensor4d([0.5, 0, 9, 9, 9, 9, 9, 9], [1, 2, 2, 2]);
  const brOff = tf.tensor4d([9, 9, 9, 9, 9, 9, 2, 0], [1, 2, 2, 2]);
  const H = CORNERNET_HEADS;
  const outputs = new Map<string, Tensor4D[]>([
    [H.tlHeatmap, [heat, heat]],
    [H.brHeatmap, [heat, heat]],
    [H.tlEmbedding, [tlTag, tlTag]],
    [H.brEmbedding, [brTag, brTag]],
    [H.tlOffset, [tlOff, tlOff]],
    [H.brOffset, [brOff, brOff]],
  ]);
  const targets = {
    tlHeatmap: tf.tensor4d([1, 0, 0, 0], [1, 2, 2, 1]),
    brHeatmap: tf.tensor4d([0, 0, 0, 1], [1, 2, 2, 1]),
    tlIndex: tf.tensor2d([0, 0], [1, 2], 'int32'),
    brIndex: tf.tensor2d([3, 0], [1, 2], 'int32'),
    tlOffset: tf.tensor3d([0, 0, 0, 0], [1, 2, 2]) as Tensor3D,
    brOffset: tf.tensor3d([0, 0, 0, 0], [1, 2, 2]) as Tensor3D,
    mask: tf.tensor2d([1, 0], [1, 2]),
  };
  const loss = cornerNetLoss(tf, outputs, targets);
  close(value(loss.focal), 1.3862944);
  close(value(loss.pull), 0.079992);
  close(value(loss.push), 0.9999, 1e-3);
  close(value(loss.offset), 1.6248375);
  close(value(loss.total), 3.1191211, 1e-4);
  const one = cornerNetLoss(tf, new Map([...outputs].map(([k, v]) => [k, v.slice(0, 1)])), targets);
  close(value(one.total), value(loss.total));
});

test('losses are differentiable end to end: gradients reach every head and are finite', async () => {
  const tf = await cpu();
  const hm = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 1) as Tensor4D;
  const wh = tf.randomNormal([2, 4, 4, 2], 0, 1, 'float32', 2) as Tensor4D;
  const reg = tf.randomNormal([2, 4, 4, 2], 0, 1, 'float32', 3) as Tensor4D;
  const gt = tf.tidy(() => tf.mul(tf.randomUniform([2, 4, 4, 3], 0, 1, 'float32', 4), tf.cast(tf.less(tf.randomUniform([2, 4, 4, 3], 0, 1, 'float32', 5), 0.3), 'float32')));
  const targets = {
    heatmap: tf.tidy(() => tf.where(tf.greater(gt, 0.25), tf.onesLike(gt), gt)) as Tensor4D,
    size: tf.ones([2, 3, 2]) as Tensor3D,
    offset: tf.fill([2, 3, 2], 0.5) as Tensor3D,
    index: tf.tensor2d([1, 5, 5, 0, 15, 2], [2, 3], 'int32'),
    mask: tf.tensor2d([1, 1, 0, 1, 0, 0], [2, 3]),
  };
  const grads = tf.grads((a: Tensor, b: Tensor, c: Tensor) =>
    centerNetLoss(tf, new Map([[CENTERNET_HEADS.heatmap, [a as Tensor4D]], [CENTERNET_HEADS.size, [b as Tensor4D]], [CENTERNET_HEADS.offset, [c as Tensor4D]]]), targets).total as Scalar,
  )([hm, wh, reg]);
  for (const g of grads) {
    const v = g.dataSync();
    assert.ok(v.every(Number.isFinite));
    assert.ok(v.some((x) => x !== 0));
  }
});

test.run();
