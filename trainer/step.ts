// One shard's loss and gradients, the unit of work of a training step: the whole step on one
// thread, or each thread's share of the batch in a data-parallel step (trainer/parallel/).
import type { NamedTensorMap, Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../runtime/model/config.js';
import type { Graph } from '../runtime/model/graph.js';
import type { TF } from './backend.js';
import { batchLoss } from './batch-loss.js';
import type { ModelParams } from './model/params.js';
import { runGraph } from './model/tf-graph.js';
import type { Shard } from './parallel/shard.js';

export interface ShardGradients {
  /** Gradient of the shard's loss per trainable variable name; the caller disposes them. */
  grads: NamedTensorMap;
  /** The loss and its parts (total, heatmap, size, ...), as numbers. */
  parts: Record<string, number>;
}

/**
 * Forward (training mode: batch statistics; running statistics updated unless `updateStats` is
 * false, for a replica whose statistics are never read) and backward pass on one shard.
 */
export async function shardGradients(tf: TF, graph: Graph, params: ModelParams, shard: Shard, config: ModelConfig, outputSize: [number, number], updateStats = true): Promise<ShardGradients> {
  let parts: Record<string, Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const input = tf.tensor4d(shard.input, shard.shape);
    const outputs = runGraph(tf, graph, params.values, input, { training: true, updateStats });
    parts = batchLoss(tf, config, outputs, shard, outputSize);
    for (const p of Object.values(parts)) tf.keep(p);
    return parts.total;
  }, params.trainable as Variable[]);
  // data(), not dataSync(): the webgpu backend cannot read synchronously in Node (no OffscreenCanvas)
  const numbers = Object.fromEntries(await Promise.all(Object.entries(parts).map(async ([k, v]) => [k, (await v.data())[0]] as const)));
  tf.dispose([value, ...Object.values(parts)] as Tensor[]);
  return { grads, parts: numbers };
}
