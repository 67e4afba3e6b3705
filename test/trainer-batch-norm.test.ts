// Batch norm in training mode as fused kernels (trainer/model/batch-norm-kernels.ts: the JavaScript
// spec, run by the cpu backend; assembly/train.ts: the SIMD kernels the wasm backend runs):
// - the spec against the textbook formula written out in float64 here, and its gradient against
//   central differences of that formula;
// - the wasm kernels equal the spec bit for bit, on channel counts that take the SIMD path and the
//   scalar one;
// - batchNormTrain, fused (cpu, wasm) and op by op, against autodiff of the textbook formula;
// - clear errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NamedAttrMap, Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import { BN_EPS } from '../runtime/model/graph.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, batchNormBackward, batchNormForward } from '../trainer/model/batch-norm-kernels.js';
import { batchNormTrain } from '../trainer/model/torch-ops.js';
import { withBackend } from './helpers/trainer.js';
import { maxRelError, randomF32 } from './helpers/random.js';

/** The textbook formula in float64: y = (x - mean) / sqrt(var + eps) * gamma + beta, per channel. */
function textbook(x: Float64Array, gamma: Float64Array, beta: Float64Array, eps: number): Float64Array {
  const c = gamma.length;
  const p = x.length / c;
  const y = new Float64Array(x.length);
  for (let k = 0; k < c; k++) {
    let m = 0;
    for (let i = 0; i < p; i++) m += x[i * c + k];
    m /= p;
    let v = 0;
    for (let i = 0; i < p; i++) v += (x[i * c + k] - m) ** 2;
    v /= p;
    for (let i = 0; i < p; i++) y[i * c + k] = ((x[i * c + k] - m) / Math.sqrt(v + eps)) * gamma[k] + beta[k];
  }
  return y;
}

function inputs(p: number, c: number, seed: number) {
  return {
    x: randomF32(p * c, seed, -2, 3),
    gamma: randomF32(c, seed + 1, 0.5, 2),
    beta: randomF32(c, seed + 2, -1, 1),
    dy: randomF32(p * c, seed + 3, -1, 1),
  };
}

function spec(x: Float32Array, gamma: Float32Array, beta: Float32Array, dy: Float32Array) {
  const c = gamma.length;
  const f = { y: new Float32Array(x.length), mean: new Float32Array(c), variance: new Float32Array(c) };
  batchNormForward(x, gamma, beta, BN_EPS, f.y, f.mean, f.variance);
  const b = { dx: new Float32Array(x.length), dGamma: new Float32Array(c), dBeta: new Float32Array(c) };
  batchNormBackward(dy, x, f.mean, f.variance, gamma, BN_EPS, b.dx, b.dGamma, b.dBeta);
  return { ...f, ...b };
}

test('the spec: forward equals the float64 textbook formula, moments are the batch mean and biased variance', () => {
  const { x, gamma, beta } = inputs(30, 5, 11);
  const got = spec(x, gamma, beta, new Float32Array(x.length));
  const want = textbook(Float64Array.from(x), Float64Array.from(gamma), Float64Array.from(beta), BN_EPS);
  // y is O(1): the error is absolute, from mean and variance rounded to float32 as they are stored
  assert.ok(maxRelError(got.y, Float32Array.from(want), 1) < 1e-6, 'y');
  for (let k = 0; k < 5; k++) {
    const col = Array.from({ length: 30 }, (_, i) => x[i * 5 + k]);
    const m = col.reduce((a, b) => a + b, 0) / 30;
    assert.ok(Math.abs(got.mean[k] - m) < 1e-6, `mean ${k}`);
    assert.ok(Math.abs(got.variance[k] - col.reduce((a, b) => a + (b - m) ** 2, 0) / 30) < 1e-5, `variance ${k}`);
  }
});

test('the spec: the gradient equals central differences of the textbook formula (x, gamma, beta)', () => {
  const p = 12;
  const c = 3;
  const { x, gamma, beta, dy } = inputs(p, c, 21);
  const got = spec(x, gamma, beta, dy);
  const X = Float64Array.from(x);
  const G = Float64Array.from(gamma);
  const B = Float64Array.from(beta);
  const loss = () => textbook(X, G, B, BN_EPS).reduce((a, v, i) => a + v * dy[i], 0);
  const numeric = (arr: Float64Array, i: number) => {
    const h = 1e-5;
    const v = arr[i];
    arr[i] = v + h;
    const up = loss();
    arr[i] = v - h;
    const down = loss();
    arr[i] = v;
    return (up - down) / (2 * h);
  };
  for (let i = 0; i < p * c; i++) assert.ok(Math.abs(got.dx[i] - numeric(X, i)) < 1e-4, `dx[${i}]: ${got.dx[i]} vs ${numeric(X, i)}`);
  for (let k = 0; k < c; k++) {
    assert.ok(Math.abs(got.dGamma[k] - numeric(G, k)) < 1e-4, `dGamma[${k}]`);
    assert.ok(Math.abs(got.dBeta[k] - numeric(B, k)) < 1e-4, `dBeta[${k}]`);
  }
});

test('the wasm kernels equal the spec bit for bit (SIMD path: channels a multiple of 4; scalar path: the rest)', async () => {
  const shapes: [number, number, number, number][] = [
    [2, 5, 7, 32],
    [3, 4, 4, 16],
    [1, 9, 3, 4],
    [2, 3, 5, 6],
    [4, 2, 2, 3],
    [1, 1, 2, 12],
  ];
  await withBackend('wasm', (tf) => {
    for (const [i, shape] of shapes.entries()) {
      const c = shape[3];
      const p = shape[0] * shape[1] * shape[2];
      const { x, gamma, beta, dy } = inputs(p, c, 100 + 10 * i);
      const want = spec(x, gamma, beta, dy);
      const got = tf.tidy(() => {
        const xt = tf.tensor4d(x, shape);
        const gt = tf.tensor1d(gamma);
        const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: xt, gamma: gt, beta: tf.tensor1d(beta) }, { eps: BN_EPS }) as Tensor[];
        const [dx, dGamma, dBeta] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy: tf.tensor4d(dy, shape), x: xt, mean, variance, gamma: gt }, { eps: BN_EPS }) as Tensor[];
        return Object.fromEntries(Object.entries({ y, mean, variance, dx, dGamma, dBeta }).map(([k, t]) => [k, t.dataSync() as Float32Array]));
      });
      for (const key of Object.keys(want) as (keyof typeof want)[]) {
        assert.equal(Array.from(got[key]), Array.from(want[key]), `[${shape}] ${key}`);
      }
    }
  });
});

test('batchNormTrain (fused on cpu and wasm, and the op-by-op form) equals autodiff of the textbook formula: output, moments, gradients', async () => {
  const runs = [['cpu', false], ['cpu', true], ['wasm', false]] as const;
  for (const [backend, opByOp] of runs) {
    await withBackend(backend, (tf) => {
      const label = `${backend}${opByOp ? ' op by op' : ' fused'}`;
      if (!opByOp) for (const name of [BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD]) assert.ok(tf.getKernel(name, backend), `${label}: ${name}`);
      const shape: [number, number, number, number] = [2, 6, 5, 8];
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor4d(randomF32(n, 41, -2, 3), shape);
      const gamma = tf.tensor1d(randomF32(8, 42, 0.5, 2));
      const beta = tf.tensor1d(randomF32(8, 43, -1, 1));
      const r = tf.tensor4d(randomF32(n, 44, -1, 1), shape);
      // the textbook formula: moments, normalise, scale, shift; tfjs differentiates it
      const textbookOps = (xs: Tensor, g: Tensor, b: Tensor) => {
        const { mean, variance } = tf.moments(xs, [0, 1, 2]);
        return tf.add(tf.mul(tf.div(tf.sub(xs, mean), tf.sqrt(tf.add(variance, BN_EPS))), g), b);
      };
      const ours = (xs: Tensor, g: Tensor, b: Tensor) => batchNormTrain(tf, xs as Tensor4D, g as Tensor1D, b as Tensor1D, BN_EPS, undefined, { opByOp });
      const grads = (f: typeof textbookOps) => tf.grads((xs: Tensor, g: Tensor, b: Tensor) => tf.sum(tf.mul(f(xs, g, b), r)))([x, gamma, beta]);
      const want = grads(textbookOps);
      const got = grads(ours);
      // errors relative to the largest magnitude: the textbook ops run in float32, whose sums cancel
      const err = (a: Tensor, b: Tensor) => {
        const w = b.dataSync() as Float32Array;
        return maxRelError(a.dataSync() as Float32Array, w, w.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
      };
      const forward = err(ours(x, gamma, beta), textbookOps(x, gamma, beta));
      assert.ok(forward < 1e-6, `${label} forward: ${forward}`);
      ['x', 'gamma', 'beta'].forEach((name, i) => {
        const e = err(got[i], want[i]);
        assert.ok(e < 1e-5, `${label} d${name}: relative error ${e}`);
      });
      // the moments it reports are the batch's (biased variance)
      let seen: number[] = [];
      batchNormTrain(tf, x, gamma, beta, BN_EPS, (m) => (seen = [...m.mean.dataSync(), ...m.variance.dataSync(), m.count]), { opByOp });
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      assert.ok(maxRelError(Float32Array.from(seen.slice(0, 16)), Float32Array.from([...mean.dataSync(), ...variance.dataSync()]), 1e-6) < 1e-5, `${label} moments`);
      assert.is(seen[16], 60);
    });
  }
});

test('bad batch-norm kernel inputs are clear errors naming the kernel and the argument', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await withBackend(backend, (tf) => {
      const x = tf.zeros([1, 3, 3, 4]);
      const g = tf.ones([4]);
      const run = (name: string, ins: Record<string, Tensor>, attrs: Record<string, unknown>) => () => tf.engine().runKernel(name, ins, attrs as unknown as NamedAttrMap);
      assert.throws(run(BATCH_NORM_TRAIN, { x, gamma: tf.ones([3]), beta: g }, { eps: BN_EPS }), /AnchorlessBatchNormTrain: gamma must have shape \[4\] \(x's channels\), got \[3\]/);
      assert.throws(run(BATCH_NORM_TRAIN, { x, gamma: g, beta: g }, {}), /AnchorlessBatchNormTrain: attribute eps must be a positive number, got undefined/);
      assert.throws(run(BATCH_NORM_TRAIN, { x: tf.zeros([1, 1, 1, 4]), gamma: g, beta: g }, { eps: BN_EPS }), /needs more than 1 value per channel/);
      assert.throws(run(BATCH_NORM_TRAIN, { x: tf.zeros([1, 3, 3, 4], 'int32'), gamma: g, beta: g }, { eps: BN_EPS }), /AnchorlessBatchNormTrain: x must be float32, got int32/);
      assert.throws(run(BATCH_NORM_TRAIN_GRAD, { dy: tf.zeros([1, 3, 2, 4]), x, mean: g, variance: g, gamma: g }, { eps: BN_EPS }), /AnchorlessBatchNormTrainGrad: dy must have x's shape \[1,3,3,4\], got \[1,3,2,4\]/);
    });
  }
});

test.run();
