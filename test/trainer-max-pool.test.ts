// Max pooling as fused kernels (trainer/layers/max-pool-kernels.ts: the JavaScript spec, run by the
// cpu backend; wasm: the inference kernel forward and the training module's backward): the fused op
// against TF.js's own pad + maxPool and its MaxPoolGrad on cpu and wasm, with ties everywhere (the
// gradient goes to each window's first maximum), the wasm kernels against the spec bit for bit, and
// clear errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { maxPoolTorch } from '../trainer/model/torch-ops.js';
import { MAX_POOL, MAX_POOL_GRAD } from '../trainer/layers/max-pool-kernels.js';
import { withBackend } from './helpers/trainer.js';
import { randomF32 } from './helpers/random.js';

// shape, kernel, stride, pad: the stem's 3x3 / 2 / 1 (SIMD lanes and a scalar tail), a 2x2 / 2,
// a 3x3 / 1 whose windows overlap nine deep, a 1x1
const CASES: [[number, number, number, number], number, number, number][] = [
  [[2, 9, 9, 16], 3, 2, 1],
  [[1, 8, 7, 6], 3, 2, 1],
  [[2, 6, 6, 4], 2, 2, 0],
  [[1, 5, 5, 3], 3, 1, 1],
  [[1, 4, 4, 8], 1, 1, 0],
];

/** Values on a coarse grid with many zeros: ties in most windows, as after a ReLU. */
function tied(n: number, seed: number): Float32Array {
  return randomF32(n, seed, -1, 1).map((v) => Math.max(0, Math.round(v * 3) / 3));
}

// The reference is TF.js-cpu's pad + maxPool and its MaxPoolGrad, for both backends: TF.js-wasm's own
// MaxPoolGrad misroutes some gradients where windows overlap (3x3 / 2 over 9x9: 2-7 values of
// 324-1296 differ from the cpu backend's, without any ties), which is one reason the wasm backend
// runs the fused kernels.
test('the fused max pooling equals TF.js-cpu pad + maxPool, forward and gradient (ties included), on cpu and wasm', async () => {
  const inputs = CASES.map(([shape, k, s, p], i) => {
    const [n, h, w, c] = shape;
    const oh = Math.floor((h + 2 * p - k) / s) + 1;
    const ow = Math.floor((w + 2 * p - k) / s) + 1;
    return { x: tied(n * h * w * c, 10 + i), r: randomF32(n * oh * ow * c, 20 + i), rShape: [n, oh, ow, c] as [number, number, number, number] };
  });
  const run = (backend: 'cpu' | 'wasm', opByOp: boolean) =>
    withBackend(backend, (tf) => {
      if (!opByOp) assert.ok(tf.getKernel(MAX_POOL, backend), `${backend} has the fused kernel`);
      return CASES.map(([shape, k, s, p], i) =>
        tf.tidy(() => {
          const x = tf.tensor4d(inputs[i].x, shape);
          const r = tf.tensor4d(inputs[i].r, inputs[i].rShape);
          return [
            Array.from(maxPoolTorch(tf, x, k, s, p, { opByOp }).dataSync()),
            Array.from(tf.grad((t: Tensor) => tf.sum(tf.mul(maxPoolTorch(tf, t as Tensor4D, k, s, p, { opByOp }), r)))(x).dataSync()),
          ];
        }),
      );
    });
  const want = await run('cpu', true);
  for (const backend of ['cpu', 'wasm'] as const) {
    const got = await run(backend, false);
    CASES.forEach(([shape, k, s, p], i) => {
      assert.equal(got[i][0], want[i][0], `${backend} [${shape}] k${k} s${s} p${p} forward`);
      // the same window gradients at the same pixels, summed in another order where windows overlap
      got[i][1].forEach((v, j) => {
        const ref = want[i][1][j];
        assert.ok(Math.abs(v - ref) <= 1e-6 * Math.max(1, Math.abs(ref)), `${backend} [${shape}] k${k} s${s} p${p} dx[${j}]: ${v} vs ${ref}`);
      });
    });
  }
});

test('the wasm max-pool kernels equal the JavaScript spec (cpu) bit for bit', async () => {
  const run = (backend: 'cpu' | 'wasm') =>
    withBackend(backend, (tf) =>
      CASES.map(([shape, k, s, p], i) =>
        tf.tidy(() => {
          const [n, h, w, c] = shape;
          const oh = Math.floor((h + 2 * p - k) / s) + 1;
          const ow = Math.floor((w + 2 * p - k) / s) + 1;
          const x = tf.tensor4d(tied(n * h * w * c, 30 + i), shape);
          const dy = tf.tensor4d(randomF32(n * oh * ow * c, 40 + i), [n, oh, ow, c]);
          const attrs = { kernel: k, stride: s, pad: p };
          return [
            Array.from((tf.engine().runKernel(MAX_POOL, { x }, attrs) as Tensor).dataSync()),
            Array.from((tf.engine().runKernel(MAX_POOL_GRAD, { dy, x }, attrs) as Tensor).dataSync()),
          ];
        }),
      ),
    );
  const want = await run('cpu');
  const got = await run('wasm');
  CASES.forEach(([shape, k, s, p], i) => {
    assert.equal(got[i][0], want[i][0], `[${shape}] k${k} s${s} p${p} forward`);
    got[i][1].forEach((v, j) => assert.ok(Object.is(v, want[i][1][j]), `[${shape}] k${k} s${s} p${p} dx[${j}]: wasm ${v}, spec ${want[i][1][j]}`));
  });
});

test('max-pool kernels: bad inputs are clear errors naming the kernel and the argument', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await withBackend(backend, (tf) => {
      const run = (name: string, ins: Record<string, Tensor>, attrs: Record<string, unknown>) => () => tf.engine().runKernel(name, ins, attrs as unknown as NamedAttrMap);
      const ok = { kernel: 3, stride: 2, pad: 1 };
      assert.throws(run(MAX_POOL, { x: tf.zeros([1, 4, 4, 3]) }, { ...ok, stride: 0 }), /AnchorlessMaxPool: attribute stride must be an integer >= 1, got 0/);
      assert.throws(run(MAX_POOL, { x: tf.zeros([1, 4, 4, 3]) }, { ...ok, pad: 2 }), /AnchorlessMaxPool: pad 2 must be at most half the kernel 3/);
      assert.throws(run(MAX_POOL, { x: tf.zeros([4, 4, 3]) }, ok), /AnchorlessMaxPool: x must be NHWC \(rank 4\), got shape \[4,4,3\]/);
      assert.throws(run(MAX_POOL, { x: tf.zeros([1, 1, 1, 3]) }, { kernel: 3, stride: 1, pad: 0 }), /AnchorlessMaxPool: x \[1,1,1,3\] is smaller than the 3x3 window/);
      assert.throws(run(MAX_POOL_GRAD, { dy: tf.zeros([1, 3, 2, 3]), x: tf.zeros([1, 4, 4, 3]) }, ok), /AnchorlessMaxPoolGrad: dy has shape \[1,3,2,3\], the pooling of x \[1,4,4,3\] gives \[1,2,2,3\]/);
      assert.throws(run(MAX_POOL_GRAD, { x: tf.zeros([1, 4, 4, 3]) }, ok), /AnchorlessMaxPoolGrad: input dy is missing/);
    });
  }
});

test.run();
