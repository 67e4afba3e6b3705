// Nearest up-sampling as fused kernels (trainer/layers/upsample-kernels.ts: the JavaScript spec, run
// by the cpu backend; wasm: the inference kernel forward and the training module's backward): the
// fused op against the broadcast form on cpu and wasm, the wasm kernels against the spec bit for
// bit, and clear errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { upsampleNearest } from '../trainer/model/torch-ops.js';
import { UPSAMPLE_NEAREST, UPSAMPLE_NEAREST_GRAD } from '../trainer/layers/upsample-kernels.js';
import { withBackend } from './helpers/trainer.js';
import { randomF32 } from './helpers/random.js';

const CASES: [[number, number, number, number], number][] = [
  [[2, 3, 4, 5], 2],
  [[1, 4, 2, 16], 2],
  [[2, 2, 3, 7], 3],
  [[1, 5, 5, 8], 4],
  [[3, 1, 1, 2], 2],
];

test('the fused up-sampling equals the broadcast form, forward and gradient, on cpu and wasm', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await withBackend(backend, (tf) => {
      assert.ok(tf.getKernel(UPSAMPLE_NEAREST, backend), `${backend} has the fused kernel`);
      for (const [i, [shape, f]] of CASES.entries()) {
        const [n, h, w, c] = shape;
        const x = tf.tensor4d(randomF32(n * h * w * c, 10 + i), shape);
        const r = tf.tensor4d(randomF32(n * h * f * w * f * c, 20 + i), [n, h * f, w * f, c]);
        const run = (opByOp: boolean) =>
          tf.tidy(() => [
            Array.from(upsampleNearest(tf, x, f, { opByOp }).dataSync()),
            Array.from(tf.grad((t: Tensor) => tf.sum(tf.mul(upsampleNearest(tf, t as Tensor4D, f, { opByOp }), r)))(x).dataSync()),
          ]);
        const [y, g] = run(false);
        const [yRef, gRef] = run(true);
        assert.equal(y, yRef, `${backend} [${shape}] x${f} forward`);
        // the same f*f values summed, not necessarily in the same order
        g.forEach((v, j) => assert.ok(Math.abs(v - gRef[j]) <= 1e-6 * Math.max(1, Math.abs(gRef[j])), `${backend} [${shape}] x${f} dx[${j}]: ${v} vs ${gRef[j]}`));
        tf.dispose([x, r]);
      }
    });
  }
});

test('the wasm up-sampling kernels equal the JavaScript spec (cpu) bit for bit', async () => {
  const run = (backend: 'cpu' | 'wasm') =>
    withBackend(backend, (tf) =>
      CASES.map(([shape, f], i) =>
        tf.tidy(() => {
          const [n, h, w, c] = shape;
          const x = tf.tensor4d(randomF32(n * h * w * c, 30 + i), shape);
          const dy = tf.tensor4d(randomF32(n * h * f * w * f * c, 40 + i), [n, h * f, w * f, c]);
          return [
            Array.from((tf.engine().runKernel(UPSAMPLE_NEAREST, { x }, { factor: f }) as Tensor).dataSync()),
            Array.from((tf.engine().runKernel(UPSAMPLE_NEAREST_GRAD, { dy }, { factor: f }) as Tensor).dataSync()),
          ];
        }),
      ),
    );
  const want = await run('cpu');
  const got = await run('wasm');
  CASES.forEach(([shape, f], i) => assert.equal(got[i], want[i], `[${shape}] x${f}`));
});

test('up-sampling kernels: bad inputs are clear errors naming the kernel and the argument', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await withBackend(backend, (tf) => {
      const run = (name: string, ins: Record<string, Tensor>, attrs: Record<string, unknown>) => () => tf.engine().runKernel(name, ins, attrs as unknown as NamedAttrMap);
      assert.throws(run(UPSAMPLE_NEAREST, { x: tf.zeros([1, 2, 2, 3]) }, { factor: 1.5 }), /AnchorlessUpsampleNearest: attribute factor must be a positive integer, got 1.5/);
      assert.throws(run(UPSAMPLE_NEAREST, { x: tf.zeros([2, 2, 3]) }, { factor: 2 }), /AnchorlessUpsampleNearest: x must be NHWC \(rank 4\), got shape \[2,2,3\]/);
      assert.throws(run(UPSAMPLE_NEAREST_GRAD, { dy: tf.zeros([1, 4, 5, 3]) }, { factor: 2 }), /AnchorlessUpsampleNearestGrad: dy \[1,4,5,3\] is not an up-sampling by 2/);
      assert.throws(run(UPSAMPLE_NEAREST_GRAD, { dy: tf.zeros([1, 4, 4, 3], 'int32') }, { factor: 2 }), /AnchorlessUpsampleNearestGrad: dy must be float32, got int32/);
    });
  }
});

test.run();
