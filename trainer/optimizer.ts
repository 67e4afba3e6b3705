// Adam with a state that survives a checkpoint bit for bit. tfjs' AdamOptimizer.setWeights
// recomputes its bias-correction accumulators as pow(beta, t + 1), while training builds them by
// multiplying by beta once per step; in float32 the two differ in the last bit at many t (for
// beta2 = 0.999 already at t = 2 and 5), so a resumed run drifted from an uninterrupted one. We
// save the accumulators themselves and put them back after setWeights.
import type { Optimizer, Tensor, Variable } from '@tensorflow/tfjs-core';
import type { TF } from './backend.js';

export interface OptimizerWeight {
  name: string;
  data: Float32Array;
  shape: number[];
}

/** Names of the extra entries that hold Adam's accumulators in a checkpoint. */
const ACC_BETA = ['adam/accBeta1', 'adam/accBeta2'] as const;

/** The private fields of tfjs' AdamOptimizer that we read and restore. */
interface AdamInternals {
  learningRate: number;
  accBeta1: Variable;
  accBeta2: Variable;
}

export function createAdam(tf: TF, lr: number): Optimizer {
  const optimizer = tf.train.adam(lr);
  const internals = optimizer as unknown as Partial<AdamInternals>;
  if (!internals.accBeta1 || !internals.accBeta2) throw new Error('train: this TensorFlow.js AdamOptimizer has no accBeta1/accBeta2; exact resume is not possible');
  return optimizer;
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
