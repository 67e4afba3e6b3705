// Adam with a state that survives a checkpoint bit for bit. tfjs' AdamOptimizer.setWeights
// recomputes its bias-correction accumulators as pow(beta, t + 1), while training builds them by
// multiplying by beta once per step; in float32 the two differ in the last bit at many t (for
// beta2 = 0.999 already at t = 2 and 5), so a resumed run drifted from an uninterrupted one. We
// save the accumulators themselves and put them back after setWeights.
import type { NamedAttrMap, NamedTensorMap, Optimizer, Tensor, Variable } from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, type AdamAttrs } from './adam-kernel.js';
import type { TF } from './backend.js';

export interface OptimizerWeight {
  name: string;
  data: Float32Array;
  shape: number[];
}

/** Names of the extra entries that hold Adam's accumulators in a checkpoint. */
const ACC_BETA = ['adam/accBeta1', 'adam/accBeta2'] as const;

/** The private fields of tfjs' AdamOptimizer that we read and restore, or update (applyAdam). */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: Variable;
  accBeta2: Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: Variable } | undefined)[];
  incrementIterations(): void;
}

export function createAdam(tf: TF, lr: number): Optimizer {
  const optimizer = tf.train.adam(lr);
  const internals = optimizer as unknown as Partial<AdamInternals>;
  if (!internals.accBeta1 || !internals.accBeta2) throw new Error('train: this TensorFlow.js AdamOptimizer has no accBeta1/accBeta2; exact resume is not possible');
  return optimizer;
}

/**
 * One optimiser step: tfjs' Adam update of every variable in `grads`, then decoupled weight decay
 * (w *= 1 - decayOf(w)) of the variables that get one. Where the backend has the fused kernel
 * (trainer/adam-kernel.ts: cpu, wasm, equal bit for bit to tfjs' applyGradients and the decay after
 * it; trainer/webgpu-kernels/adam.ts: webgpu, within a few float32 ulps of them) each variable's
 * update is one kernel call, and the optimiser's state (moments, accumulators, iterations) is kept
 * in tfjs' own fields, so checkpoints do not depend on which path ran.
 */
export function applyAdam(tf: TF, optimizer: Optimizer, grads: NamedTensorMap, decayOf: (v: Variable) => number): void {
  const opt = optimizer as unknown as AdamInternals;
  const variables = tf.engine().registeredVariables;
  if (!tf.getKernel(ADAM_UPDATE, tf.getBackend())) {
    optimizer.applyGradients(grads);
    tf.tidy(() => {
      for (const name of Object.keys(grads)) {
        const v = variables[name];
        const decay = decayOf(v);
        if (decay > 0) v.assign(tf.mul(v, 1 - decay));
      }
    });
    return;
  }
  tf.tidy(() => {
    // the moments are indexed by the variable's position in `grads`, as tfjs' applyGradients does
    Object.keys(grads).forEach((name, i) => {
      const w = variables[name];
      opt.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(w).variable(false)) };
      opt.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(w).variable(false)) };
      const g = grads[name];
      if (g == null) return;
      const m = opt.accumulatedFirstMoment[i]!.variable;
      const v = opt.accumulatedSecondMoment[i]!.variable;
      const attrs: AdamAttrs = { beta1: opt.beta1, beta2: opt.beta2, epsilon: opt.epsilon, lr: opt.learningRate, decay: decayOf(w) };
      // the accumulators as inputs, not read here: webgpu cannot read a tensor synchronously in Node
      const [w2, m2, v2] = tf.engine().runKernel(ADAM_UPDATE, { w, m, v, g, accBeta1: opt.accBeta1, accBeta2: opt.accBeta2 }, attrs as unknown as NamedAttrMap) as Tensor[];
      m.assign(m2);
      v.assign(v2);
      w.assign(w2);
    });
    opt.accBeta1.assign(tf.mul(opt.accBeta1, opt.beta1));
    opt.accBeta2.assign(tf.mul(opt.accBeta2, opt.beta2));
  });
  opt.incrementIterations();
}

export function setLearningRate(optimizer: Optimizer, lr: number): void {
  // tfjs' Adam reads this field on every applyGradients call
  (optimizer as unknown as AdamInternals).learningRate = lr;
}

/** The optimiser's whole state: getWeights() (iteration count, moments) then the accumulators. */
export async function optimizerState(optimizer: Optimizer): Promise<OptimizerWeight[]> {
  const internals = optimizer as unknown as AdamInternals;
  const weights: { name: string; tensor: Tensor }[] = [...(await optimizer.getWeights()), { name: ACC_BETA[0], tensor: internals.accBeta1 }, { name: ACC_BETA[1], tensor: internals.accBeta2 }];
  return Promise.all(weights.map(async (w) => ({ name: w.name, data: Float32Array.from(await w.tensor.data()), shape: w.tensor.shape })));
}

/** Puts back a state from optimizerState() (or from a checkpoint without the accumulators). */
export async function restoreOptimizer(tf: TF, optimizer: Optimizer, state: OptimizerWeight[]): Promise<void> {
  const acc = state.filter((w) => (ACC_BETA as readonly string[]).includes(w.name));
  const weights = state.filter((w) => !(ACC_BETA as readonly string[]).includes(w.name));
  if (weights.length === 0) return;
  await optimizer.setWeights(weights.map((w) => ({ name: w.name, tensor: tf.tensor(w.data, w.shape) })));
  const internals = optimizer as unknown as AdamInternals;
  for (const w of acc) {
    (w.name === ACC_BETA[0] ? internals.accBeta1 : internals.accBeta2).assign(tf.scalar(w.data[0]));
  }
}
