// DCNv2 on the webgpu backend through its fused kernels (trainer/webgpu-kernels/deform-conv.ts: the
// columns, and the gradients of x, the offsets and the mask), run on whatever adapter Dawn finds (in
// CI a software one), against the layer's op-by-op form on the cpu backend (trainer/layers/
// deform-conv.ts, itself held to torchvision's deform_conv2d by trainer-deform-conv.test.ts): the
// output and all four gradients of a random linear loss, for strides 1 and 2, dilation 2, a 1x1
// kernel, batch 2, offsets that carry samples far outside the image, and integer offsets (bilinear
// weights of exactly 0 and 1); x's gradient (64-bit fixed-point sums) the same bits from run to run,
// and NaN where a contribution is not finite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor } from '@tensorflow/tfjs-core';
import { selectBackend } from '../trainer/backend.js';
import { DEFORM_COLUMNS, DEFORM_COLUMNS_GRAD_OFFSET_MASK, DEFORM_COLUMNS_GRAD_X } from '../trainer/layers/deform-conv.js';
import { DEFORM_CASES, relativeError, runDeformCase } from './helpers/deform-cases.js';
import { randomF32 } from './helpers/random.js';

DEFORM_CASES.forEach((c, i) => {
  test(`dcn on webgpu's fused kernels, x [${c.n}, ${c.h}, ${c.w}, ${c.cin}], ${c.k}x${c.k} -> ${c.cout}, stride ${c.stride}, pad ${c.pad}, dilation ${c.dilation}, offsets ${c.integer ? 'integer' : 'within'} +-${c.reach}: output and gradients equal the op-by-op layer on cpu`, async () => {
    const cpu = (await selectBackend('cpu', { log: () => undefined })).tf;
    const want = await runDeformCase(cpu, c, 10 * i + 1, true);
    const { tf } = await selectBackend('webgpu', { log: () => undefined });
    const got = await runDeformCase(tf, c, 10 * i + 1, false);
    const again = await runDeformCase(tf, c, 10 * i + 1, false);
    assert.ok([got.y, ...got.grads].every((g, k) => g.every((v, j) => Object.is(v, [again.y, ...again.grads][k][j]))), 'the same output and gradients, bit for bit, from run to run');
    for (const name of [DEFORM_COLUMNS, DEFORM_COLUMNS_GRAD_X, DEFORM_COLUMNS_GRAD_OFFSET_MASK]) assert.ok(got.kernels.includes(name), `${name} ran (kernels: ${[...new Set(got.kernels)].join(', ')})`);
    assert.not.ok(got.kernels.includes('GatherV2') || got.kernels.includes('ScatterNd'), 'no gather or scatter: the op-by-op form did not run');
    const e = relativeError(got.y, want.y);
    assert.ok(e <= 1e-5, `output: ${e}`);
    ['x', 'w', 'offset', 'mask'].forEach((name, k) => {
      const err = relativeError(got.grads[k], want.grads[k]);
      assert.ok(err <= 1e-5, `gradient of ${name}: ${err}`);
    });
  });
});

test('a MatMul with a long inner dimension and a small output (tfjs-backend-webgpu would split it with float atomics) gives the same bits every time', async () => {
  const { tf } = await selectBackend('webgpu', { log: () => undefined });
  const a = tf.tensor2d(randomF32(16 * 2304, 91), [16, 2304]);
  const b = tf.tensor2d(randomF32(2304 * 16, 92), [2304, 16]);
  const first = (await tf.matMul(a, b).data()) as Float32Array;
  for (let k = 0; k < 10; k++) {
    const c = tf.matMul(a, b);
    const again = (await c.data()) as Float32Array;
    c.dispose();
    assert.ok(again.every((v, i) => Object.is(v, first[i])), `run ${k + 2} differs`);
  }
  tf.dispose([a, b]);
});

test('the fused kernels check their inputs: a mask of the wrong shape, a missing gradient, a bad attribute', async () => {
  const { tf } = await selectBackend('webgpu', { log: () => undefined });
  const x = tf.zeros([1, 5, 5, 2]);
  const offset = tf.zeros([1, 5, 5, 18]);
  const attrs = { kernelH: 3, kernelW: 3, stride: 1, pad: 1, dilation: 1 };
  assert.throws(() => tf.engine().runKernel(DEFORM_COLUMNS, { x, offset, mask: tf.zeros([1, 5, 5, 8]) }, attrs), /AnchorlessDeformColumns: mask must be \[1,5,5,9\] for x \[1,5,5,2\], got \[1,5,5,8\]/);
  const mask = tf.zeros([1, 5, 5, 9]);
  assert.throws(() => tf.engine().runKernel(DEFORM_COLUMNS_GRAD_X, { x, offset, mask }, attrs), /AnchorlessDeformColumnsGradX: input dcols is missing/);
  assert.throws(() => tf.engine().runKernel(DEFORM_COLUMNS, { x, offset, mask }, { ...attrs, stride: 0 }), /attribute stride must be an integer >= 1, got 0/);
  tf.dispose([x, offset, mask]);
});

test('x\'s gradient is NaN when a column gradient is not finite (not a finite number from the fixed-point sums)', async () => {
  const { tf } = await selectBackend('webgpu', { log: () => undefined });
  const x = tf.ones([1, 4, 4, 2]);
  const offset = tf.fill([1, 4, 4, 18], 0.5);
  const mask = tf.ones([1, 4, 4, 9]);
  const attrs = { kernelH: 3, kernelW: 3, stride: 1, pad: 1, dilation: 1 };
  for (const bad of [NaN, Infinity]) {
    const cols = new Float32Array(16 * 18).fill(0.25);
    cols[37] = bad;
    const dcols = tf.tensor2d(cols, [16, 18]);
    const dx = tf.engine().runKernel(DEFORM_COLUMNS_GRAD_X, { dcols, x, offset, mask }, attrs) as Tensor;
    const v = (await dx.data()) as Float32Array;
    assert.ok(v.length === 32 && v.every((e) => Number.isNaN(e)), `dcols with ${bad}: ${v.slice(0, 4)}`);
    const fine = tf.engine().runKernel(DEFORM_COLUMNS_GRAD_X, { dcols: tf.fill([16, 18], 0.25), x, offset, mask }, attrs) as Tensor;
    assert.ok(((await fine.data()) as Float32Array).every((e) => Number.isFinite(e)), 'finite otherwise');
    tf.dispose([dcols, dx, fine]);
  }
  tf.dispose([x, offset, mask]);
});

test.after(async () => {
  await (await selectBackend('cpu', { log: () => undefined })).tf.setBackend('cpu');
});

test.run();
