// The fused Adam update (trainer/adam-kernel.ts, applyAdam in trainer/optimizer.ts) against tfjs'
// own AdamOptimizer.applyGradients followed by the op-by-op weight decay: bit for bit, weights and
// optimiser state, over steps whose learning rate changes, on the cpu and the wasm backend; to a few
// ulps on webgpu (trainer/webgpu-kernels/adam.ts; a software adapter in CI); and its errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NamedTensorMap, Tensor, Variable } from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, adamUpdate } from '../trainer/adam-kernel.js';
import type { TF } from '../trainer/backend.js';
import { applyAdam, createAdam, optimizerState, setLearningRate } from '../trainer/optimizer.js';
import { withBackend } from './helpers/trainer.js';
import { randomF32 } from './helpers/random.js';

const SHAPES = [[3, 3, 4, 8], [8], [1, 1, 8, 3], [5]];
const DECAY = 0.05;
const decayOf = (v: Variable) => (v.shape.length === 4 ? DECAY : 0);

/** Gradients of every magnitude, zeros included, as a training step gives them. */
function gradients(tf: TF, vars: Variable[], step: number): NamedTensorMap {
  return Object.fromEntries(
    vars.map((v, i) => {
      const g = randomF32(v.size, 100 * step + i, -1, 1).map((x, j) => (j % 7 === 0 ? 0 : x * 10 ** ((j % 9) - 6)));
      return [v.name, tf.tensor(g, v.shape)];
    }),
  );
}

/**
 * Fused against tfjs' Adam over 6 steps: bit for bit where `exact`, else (webgpu, whose compiler may
 * fuse a multiply and an add) weights within 4 ulps and moments within 1e-5 relative.
 */
async function compare(backend: 'cpu' | 'wasm' | 'webgpu', exact = true) {
  await withBackend(backend, async (tf) => {
    assert.ok(tf.getKernel(ADAM_UPDATE, backend), `${ADAM_UPDATE} is registered on ${backend}`);
    const make = (tag: string) => SHAPES.map((shape, i) => tf.variable(tf.tensor(randomF32(shape.reduce((a, b) => a * b, 1), 7 + i, -0.5, 0.5), shape), true, `adam-${backend}-${tag}-${i}`));
    const ref = make('ref');
    const fused = make('fused');
    const refOpt = createAdam(tf, 2e-3);
    const fusedOpt = createAdam(tf, 2e-3);
    let kernelCalls = 0;
    for (let step = 0; step < 6; step++) {
      const lr = step < 4 ? 2e-3 : 2e-4;
      setLearningRate(refOpt, lr);
      setLearningRate(fusedOpt, lr);
      const gRef = gradients(tf, ref, step);
      const gFused = Object.fromEntries(fused.map((v, i) => [v.name, gRef[ref[i].name]]));
      // the reference: tfjs' Adam, then the decay op by op
      refOpt.applyGradients(gRef);
      tf.tidy(() => ref.forEach((v) => decayOf(v) > 0 && v.assign(tf.mul(v, 1 - DECAY))));
      const profile = await tf.profile(() => applyAdam(tf, fusedOpt, gFused, decayOf));
      kernelCalls += profile.kernels.filter((k) => k.name === ADAM_UPDATE).length;
      tf.dispose(Object.values(gRef) as Tensor[]);
    }
    assert.is(kernelCalls, 6 * SHAPES.length, 'one fused kernel call per variable and step');
    const close = (a: number, b: number, tolerance: number) => (exact ? Object.is(a, b) : Math.abs(a - b) <= tolerance);
    let moved = 0;
    for (let i = 0; i < SHAPES.length; i++) {
      // data(), not dataSync(): webgpu cannot read synchronously in Node
      const a = (await ref[i].data()) as Float32Array;
      const b = (await fused[i].data()) as Float32Array;
      const start = randomF32(a.length, 7 + i, -0.5, 0.5);
      for (let j = 0; j < a.length; j++) {
        if (!close(a[j], b[j], 4 * 2 ** (Math.floor(Math.log2(Math.abs(a[j]))) - 23))) assert.unreachable(`${backend}: variable ${i} [${j}]: tfjs ${a[j]}, fused ${b[j]}`);
        if (b[j] !== start[j]) moved++;
      }
    }
    assert.ok(moved > 0, 'the weights moved');
    const [sRef, sFused] = [await optimizerState(refOpt), await optimizerState(fusedOpt)];
    assert.equal(sFused.map((w) => w.shape), sRef.map((w) => w.shape));
    sRef.forEach((w, i) => {
      for (let j = 0; j < w.data.length; j++) {
        if (!close(sFused[i].data[j], w.data[j], 1e-5 * Math.abs(w.data[j]))) assert.unreachable(`${backend}: optimiser state ${w.name} [${j}]: tfjs ${w.data[j]}, fused ${sFused[i].data[j]}`);
      }
    });
    assert.equal(sFused.map((w) => w.name.replace('fused', 'ref')), sRef.map((w) => w.name));
    tf.dispose([...ref, ...fused]);
    refOpt.dispose();
    fusedOpt.dispose();
  });
}

test('fused Adam (with weight decay) equals tfjs AdamOptimizer + op-by-op decay bit for bit: cpu', () => compare('cpu'));
test('fused Adam (with weight decay) equals tfjs AdamOptimizer + op-by-op decay bit for bit: wasm', () => compare('wasm'));
test('fused Adam (with weight decay) on webgpu follows tfjs AdamOptimizer + op-by-op decay on webgpu to a few ulps', () => compare('webgpu', false));

test('the spec can fail: another epsilon changes the result', () => {
  const w = new Float32Array([0.5]);
  const g = new Float32Array([1e-7]);
  const z = new Float32Array(1);
  const out = () => [new Float32Array(1), new Float32Array(1), new Float32Array(1)] as const;
  const s = { beta1: 0.9, beta2: 0.999, oneMinusAccBeta1: 0.1, oneMinusAccBeta2: 0.001, epsilon: 1e-7, lr: 1e-3, decay: 0 };
  const [a, b] = [out(), out()];
  adamUpdate(w, z, z, g, s, ...a);
  adamUpdate(w, z, z, g, { ...s, epsilon: 1e-8 }, ...b);
  assert.not.equal(a[0][0], b[0][0]);
});

test('fused Adam kernel: bad inputs are Errors naming the kernel and the argument', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await withBackend(backend, (tf) => {
      const t = (n: number) => tf.zeros([n]);
      const attrs = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7, lr: 1e-3, decay: 0 };
      const acc = { accBeta1: tf.scalar(0.9), accBeta2: tf.scalar(0.999) };
      const run = (inputs: Record<string, Tensor>, a: Record<string, unknown> = attrs) => () => tf.engine().runKernel(ADAM_UPDATE, inputs, a as never);
      assert.throws(run({ w: t(3), m: t(3), v: t(3), ...acc }), new RegExp(`${ADAM_UPDATE}: input g is missing`));
      assert.throws(run({ w: t(3), m: t(3), v: t(2), g: t(3), ...acc }), new RegExp(`${ADAM_UPDATE}: v has shape \\[2\\], w has \\[3\\]`));
      assert.throws(run({ w: t(3), m: t(3), v: t(3), g: tf.zeros([3], 'int32'), ...acc }), new RegExp(`${ADAM_UPDATE}: g must be float32`));
      assert.throws(run({ w: t(3), m: t(3), v: t(3), g: t(3), ...acc }, { ...attrs, lr: NaN }), new RegExp(`${ADAM_UPDATE}: attribute lr must be a finite number`));
      assert.throws(run({ w: t(3), m: t(3), v: t(3), g: t(3), accBeta1: acc.accBeta1 }), new RegExp(`${ADAM_UPDATE}: input accBeta2 is missing`));
      assert.throws(run({ w: t(3), m: t(3), v: t(3), g: t(3), ...acc, accBeta2: t(2) }), new RegExp(`${ADAM_UPDATE}: accBeta2 must hold one value, got shape \\[2\\]`));
    });
  }
});

test.run();
