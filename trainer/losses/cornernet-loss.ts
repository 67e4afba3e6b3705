// CornerNet's training loss (the official CornerNet_Loss with pull_weight = push_weight = 0.1):
//   L = (L_det + 0.1 L_pull + 0.1 L_push + 1 L_off) / stacks,
// each term summed over stacks; L_det = focal(tl) + focal(br) on the clamped sigmoid of the corner
// heatmaps; L_pull, L_push on the embeddings gathered at the corners; L_off = smooth L1 on the
// tl and br offsets gathered at the corners.

import type { Scalar, Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { CORNERNET_HEADS } from '../../runtime/model/names.js';
import type { TF } from '../backend.js';
import { gatherAt } from '../layers/gather.js';
import type { GraphOutputs } from '../model/tf-graph.js';
import type { CornerNetTargets } from '../targets/cornernet-targets.js';
import { pullPushLoss } from './ae.js';
import { concat, concatInt, head } from './common.js';
import { clampedSigmoid, focalLoss } from './focal.js';
import { offsetSmoothL1Loss } from './regression.js';

/** A batch of CornerNetTargets as tensors. */
export interface CornerNetTargetTensors {
  tlHeatmap: Tensor4D; // [b, oh, ow, C]
  brHeatmap: Tensor4D;
  tlIndex: Tensor2D; // [b, maxObjs] int32
  brIndex: Tensor2D;
  tlOffset: Tensor3D; // [b, maxObjs, 2]
  brOffset: Tensor3D;
  mask: Tensor2D; // [b, maxObjs]
}

export interface CornerNetLossWeights {
  pull: number;
  push: number;
  offset: number;
}

export const CORNERNET_LOSS_WEIGHTS: CornerNetLossWeights = { pull: 0.1, push: 0.1, offset: 1 };

/** The total and its unweighted parts (each summed over stacks, divided by stacks), for logging. */
export interface CornerNetLoss {
  total: Scalar;
  focal: Scalar;
  pull: Scalar;
  push: Scalar;
  offset: Scalar;
}

export function cornerNetLoss(tf: TF, outputs: GraphOutputs, targets: CornerNetTargetTensors, weights: CornerNetLossWeights = CORNERNET_LOSS_WEIGHTS): CornerNetLoss {
  const H = CORNERNET_HEADS;
  const [tlHeat, brHeat, tlTag, brTag, tlOff, brOff] = [H.tlHeatmap, H.brHeatmap, H.tlEmbedding, H.brEmbedding, H.tlOffset, H.brOffset].map((n) => head(outputs, n));
  const stacks = tlHeat.length;
  if ([brHeat, tlTag, brTag, tlOff, brOff].some((h) => h.length !== stacks)) throw new Error('cornerNetLoss: every head needs one output per stack');
  return tf.tidy(() => {
    const [b, m] = targets.mask.shape;
    let focal = tf.scalar(0);
    let pull = tf.scalar(0);
    let push = tf.scalar(0);
    let offset = tf.scalar(0);
    for (let s = 0; s < stacks; s++) {
      focal = tf.addN([focal, focalLoss(tf, clampedSigmoid(tf, tlHeat[s]), targets.tlHeatmap), focalLoss(tf, clampedSigmoid(tf, brHeat[s]), targets.brHeatmap)]);
      const tl = tf.reshape(gatherAt(tf, tlTag[s], targets.tlIndex), [b, m]) as Tensor2D;
      const br = tf.reshape(gatherAt(tf, brTag[s], targets.brIndex), [b, m]) as Tensor2D;
      const ae = pullPushLoss(tf, tl, br, targets.mask);
      pull = tf.add(pull, ae.pull);
      push = tf.add(push, ae.push);
      offset = tf.addN([
        offset,
        offsetSmoothL1Loss(tf, gatherAt(tf, tlOff[s], targets.tlIndex), targets.tlOffset, targets.mask),
        offsetSmoothL1Loss(tf, gatherAt(tf, brOff[s], targets.brIndex), targets.brOffset, targets.mask),
      ]);
    }
    [focal, pull, push, offset] = [focal, pull, push, offset].map((t) => tf.div(t, stacks));
    const total = tf.addN([focal, tf.mul(pull, weights.pull), tf.mul(push, weights.push), tf.mul(offset, weights.offset)]) as Scalar;
    return { total, focal, pull, push, offset };
  });
}

/** Stacks per-image targets into a batch of tensors. */
export function cornerNetTargetTensors(tf: TF, batch: readonly CornerNetTargets[], outputSize: readonly [number, number], numClasses: number): CornerNetTargetTensors {
  if (batch.length === 0) throw new Error('cornerNetTargetTensors: empty batch');
  const b = batch.length;
  const m = batch[0].mask.length;
  const [oh, ow] = outputSize;
  if (batch.some((t) => t.mask.length !== m || t.tlHeatmap.length !== oh * ow * numClasses)) {
    throw new Error(`cornerNetTargetTensors: every image needs ${m} object slots and ${oh} x ${ow} x ${numClasses} heatmaps`);
  }
  return {
    tlHeatmap: tf.tensor4d(concat(batch.map((t) => t.tlHeatmap)), [b, oh, ow, numClasses]),
    brHeatmap: tf.tensor4d(concat(batch.map((t) => t.brHeatmap)), [b, oh, ow, numClasses]),
    tlIndex: tf.tensor2d(concatInt(batch.map((t) => t.tlIndex)), [b, m], 'int32'),
    brIndex: tf.tensor2d(concatInt(batch.map((t) => t.brIndex)), [b, m], 'int32'),
    tlOffset: tf.tensor3d(concat(batch.map((t) => t.tlOffset)), [b, m, 2]),
    brOffset: tf.tensor3d(concat(batch.map((t) => t.brOffset)), [b, m, 2]),
    mask: tf.tensor2d(concat(batch.map((t) => t.mask)), [b, m]),
  };
}
