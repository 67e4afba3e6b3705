// CenterNet's training loss (the official CtdetLoss) over every stack's heads:
//   L = 1 * L_hm + 0.1 * L_wh + 1 * L_off, each averaged over stacks,
// L_hm the focal loss on the clamped sigmoid of `hm`, L_wh and L_off CenterNet's RegL1Loss on `wh`
// and `reg` gathered at the object centres.

import type { Scalar, Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { CENTERNET_HEADS } from '../../runtime/model/names.js';
import type { TF } from '../backend.js';
import { gatherAt } from '../layers/gather.js';
import type { GraphOutputs } from '../model/tf-graph.js';
import { clampedSigmoid, focalLoss } from './focal.js';
import { head } from './common.js';
import { regL1Loss } from './regression.js';

/** A batch of CenterNetTargets (trainer/targets/centernet-targets.ts) as tensors. */
export interface CenterNetTargetTensors {
  heatmap: Tensor4D; // [b, oh, ow, C]
  size: Tensor3D; // [b, maxObjs, 2]
  offset: Tensor3D; // [b, maxObjs, 2]
  index: Tensor2D; // [b, maxObjs] int32
  mask: Tensor2D; // [b, maxObjs]
}

export interface CenterNetLossWeights {
  heatmap: number;
  size: number;
  offset: number;
}

/** The official defaults (hm_weight, wh_weight, off_weight). */
export const CENTERNET_LOSS_WEIGHTS: CenterNetLossWeights = { heatmap: 1, size: 0.1, offset: 1 };

/** The total and its unweighted parts (each already averaged over stacks), for logging. */
export interface CenterNetLoss {
  total: Scalar;
  heatmap: Scalar;
  size: Scalar;
  offset: Scalar;
}

export function centerNetLoss(tf: TF, outputs: GraphOutputs, targets: CenterNetTargetTensors, weights: CenterNetLossWeights = CENTERNET_LOSS_WEIGHTS): CenterNetLoss {
  const hm = head(outputs, CENTERNET_HEADS.heatmap);
  const wh = head(outputs, CENTERNET_HEADS.size);
  const reg = head(outputs, CENTERNET_HEADS.offset);
  if (wh.length !== hm.length || reg.length !== hm.length) throw new Error('centerNetLoss: every head needs one output per stack');
  return tf.tidy(() => {
    const stacks = hm.length;
    let heatmap = tf.scalar(0);
    let size = tf.scalar(0);
    let offset = tf.scalar(0);
    for (let s = 0; s < stacks; s++) {
      heatmap = tf.add(heatmap, focalLoss(tf, clampedSigmoid(tf, hm[s]), targets.heatmap));
      size = tf.add(size, regL1Loss(tf, gatherAt(tf, wh[s], targets.index), targets.size, targets.mask));
      offset = tf.add(offset, regL1Loss(tf, gatherAt(tf, reg[s], targets.index), targets.offset, targets.mask));
    }
    heatmap = tf.div(heatmap, stacks);
    size = tf.div(size, stacks);
    offset = tf.div(offset, stacks);
    const total = tf.addN([tf.mul(heatmap, weights.heatmap), tf.mul(size, weights.size), tf.mul(offset, weights.offset)]) as Scalar;
    return { total, heatmap, size, offset };
  });
}

