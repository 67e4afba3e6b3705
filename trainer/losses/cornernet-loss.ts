// CornerNet's training loss (the official CornerNet_Loss with pull_weight = push_weight = 0.1):
//   L = (L_det + 0.1 L_pull + 0.1 L_push + 1 L_off) / stacks,
// each term summed over stacks; L_det = focal(tl) + focal(br) on the clamped sigmoid of the corner
// heatmaps; L_pull, L_push on the embeddings gathered at the corners; L_off = smooth L1 on the
// tl and br offsets gathered at the corners.
// CornerNet-Saccade's (CornerNet-Lite's CornerNet_Saccade_Loss) when the targets carry its valid
// masks and attention maps: L_det masked by the valid maps (_focal_loss_mask), and
//   L = (L_det + L_att + 0.1 L_pull + 0.1 L_push + 1 L_off) / stacks,
//   L_att = sum over levels i of (sum over stacks of focal(atts.i)) / stacks
// (the official code averages the attention loss over stacks and then divides it by stacks again
// with the rest; kept, as the published model was trained with it).

import type { Scalar, Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { CORNERNET_HEADS } from '../../runtime/model/names.js';
import { attentionHeads } from '../../runtime/model/parts/cornernet-saccade-head.js';
import type { TF } from '../backend.js';
import { gatherAt } from '../layers/gather.js';
import type { GraphOutputs } from '../model/tf-graph.js';
import { pullPushLoss } from './ae.js';
import { head } from './common.js';
import { clampedSigmoid, focalLoss } from './focal.js';
import { offsetSmoothL1Loss } from './regression.js';

/** A batch of the corner targets as tensors. */
export interface CornerNetTargetTensors {
  tlHeatmap: Tensor4D; // [b, oh, ow, C]
  brHeatmap: Tensor4D;
  tlIndex: Tensor2D; // [b, maxObjs] int32
  brIndex: Tensor2D;
  tlOffset: Tensor3D; // [b, maxObjs, 2]
  brOffset: Tensor3D;
  mask: Tensor2D; // [b, maxObjs]
  /** CornerNet-Saccade: [b, oh, ow, C], 0 where the corner focal loss ignores a pixel. */
  tlValid?: Tensor4D;
  brValid?: Tensor4D;
  /** CornerNet-Saccade: per attention head atts.i, [b, h_i, w_i, 1]. */
  attention?: Tensor4D[];
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
  /** CornerNet-Saccade: L_att / stacks, the attention maps' share of the total. */
  attention?: Scalar;
}

export function cornerNetLoss(tf: TF, outputs: GraphOutputs, targets: CornerNetTargetTensors, weights: CornerNetLossWeights = CORNERNET_LOSS_WEIGHTS): CornerNetLoss {
  const H = CORNERNET_HEADS;
  const [tlHeat, brHeat, tlTag, brTag, tlOff, brOff] = [H.tlHeatmap, H.brHeatmap, H.tlEmbedding, H.brEmbedding, H.tlOffset, H.brOffset].map((n) => head(outputs, n));
  const stacks = tlHeat.length;
  if ([brHeat, tlTag, brTag, tlOff, brOff].some((h) => h.length !== stacks)) throw new Error('cornerNetLoss: every head needs one output per stack');
  const atts = attentionHeads(outputs).map((name) => head(outputs, name));
  const gtAtts = targets.attention ?? [];
  if (atts.length !== gtAtts.length) throw new Error(`cornerNetLoss: the model has ${atts.length} attention head(s), the targets ${gtAtts.length} attention map(s)`);
  if ((targets.tlValid === undefined) !== (targets.brValid === undefined)) throw new Error('cornerNetLoss: give both valid masks (tlValid, brValid) or neither');
  return tf.tidy(() => {
    const [b, m] = targets.mask.shape;
    let focal = tf.scalar(0);
    let pull = tf.scalar(0);
    let push = tf.scalar(0);
    let offset = tf.scalar(0);
    for (let s = 0; s < stacks; s++) {
      focal = tf.addN([focal, focalLoss(tf, clampedSigmoid(tf, tlHeat[s]), targets.tlHeatmap, targets.tlValid), focalLoss(tf, clampedSigmoid(tf, brHeat[s]), targets.brHeatmap, targets.brValid)]);
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
    if (atts.length === 0) return { total, focal, pull, push, offset };
    const levels = atts.map((outs, i) => tf.div(tf.addN(outs.map((logits) => focalLoss(tf, clampedSigmoid(tf, logits), gtAtts[i]))), outs.length));
    const attention = tf.div(tf.addN(levels), stacks) as Scalar;
    return { total: tf.add(total, attention) as Scalar, focal, pull, push, offset, attention };
  });
}

