// An exponential moving average of the weights (Polyak averaging, as YOLOv5/YOLOX and timm keep
// a "model EMA"): after every optimiser step, avg = d * avg + (1 - d) * w for every parameter,
// batch-norm running statistics included. Validation and export then read the average, which
// smooths the noise of the last steps' updates that a short schedule at a high learning rate
// leaves in the weights. The decay warms up as TensorFlow's ExponentialMovingAverage with
// num_updates does, d_t = min(decay, (1 + t) / (10 + t)), so the random initial weights do not
// linger in the average of a short run; it depends only on the step, so a resumed run continues
// the same average.
//
// The average lives in tf variables on the training backend (one fused add per parameter and
// step, no read-back to JavaScript): on a GPU backend that keeps it off the bus.
import type { Variable } from '@tensorflow/tfjs-core';
import type { TF } from './backend.js';
import type { ModelParams } from './model/params.js';

export interface WeightAverage {
  readonly decay: number;
  /** Folds the weights after optimiser step `step` (1-based: the count of steps done) into the average. */
  update(step: number): void;
  /** The average of every parameter, in params.specs order (what a model file holds). */
  values(): Promise<Map<string, Float32Array>>;
  /** Replaces the average (from a checkpoint); every parameter must be there with its size. */
  load(weights: ReadonlyMap<string, Float32Array>, source: string): void;
  dispose(): void;
}

/** The decay used after step `step`: the warm-up (1 + t) / (10 + t), capped at `decay`. */
export function averageDecayAt(decay: number, step: number): number {
  return Math.min(decay, (1 + step) / (10 + step));
}

/** Starts the average at the current weights. decay: in (0, 1). */
export function createWeightAverage(tf: TF, params: ModelParams, decay: number): WeightAverage {
  if (!(decay > 0 && decay < 1)) throw new Error(`createWeightAverage: decay must be in (0, 1), got ${decay}`);
  const averages = new Map<string, Variable>();
  for (const spec of params.specs) {
    averages.set(spec.name, tf.tidy(() => params.values.get(spec.name)!.clone().variable(false)));
  }
  return {
    decay,
    update(step) {
      const d = averageDecayAt(decay, step);
      tf.tidy(() => {
        for (const [name, avg] of averages) avg.assign(tf.add(tf.mul(avg, d), tf.mul(params.values.get(name)!, 1 - d)));
      });
    },
    async values() {
      const data = await Promise.all(params.specs.map((spec) => averages.get(spec.name)!.data() as Promise<Float32Array>));
      return new Map(params.specs.map((spec, i) => [spec.name, data[i]]));
    },
    load(weights, source) {
      for (const spec of params.specs) {
        const data = weights.get(spec.name);
        const size = spec.shape.reduce((a, b) => a * b, 1);
        if (!data || data.length !== size) throw new Error(`${source}: the weight average has no ${spec.name} of ${size} values`);
      }
      for (const spec of params.specs) tf.tidy(() => averages.get(spec.name)!.assign(tf.tensor(weights.get(spec.name)!, spec.shape, 'float32')));
    },
    dispose() {
      for (const v of averages.values()) v.dispose();
      averages.clear();
    },
  };
}
