// The penalty-reduced pixel-wise focal loss of CornerNet (eq. 1) and CenterNet (eq. 1) on
// heatmaps [b, h, w, C], with the official clamped sigmoid.

import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import type { TF } from '../backend.js';

/** The official _sigmoid: sigmoid clamped to [1e-4, 1 - 1e-4], so log p and log(1 - p) stay finite. */
export const SIGMOID_CLAMP = 1e-4;

export function clampedSigmoid(tf: TF, logits: Tensor): Tensor {
  return tf.clipByValue(tf.sigmoid(logits), SIGMOID_CLAMP, 1 - SIGMOID_CLAMP);
}

/**
 *   L = -1/N sum over pixels and classes of
 *         (1 - p)^alpha log(p)                 where y = 1
 *         (1 - y)^beta p^alpha log(1 - p)      where y < 1
 * N = number of pixels with y = 1 in the batch; with none, L = -(sum of the second line) (the
 * official `if num_pos == 0: loss = -neg_loss`). pred: probabilities (clampedSigmoid), gt: targets.
 * mask (CornerNet-Saccade's _focal_loss_mask): 0 takes a pixel's term out of the sum; N still
 * counts every y = 1 pixel, masked or not, as officially.
 */
export function focalLoss(tf: TF, pred: Tensor, gt: Tensor, mask?: Tensor, alpha = 2, beta = 4): Scalar {
  if (pred.shape.join() !== gt.shape.join()) throw new Error(`focalLoss: pred [${pred.shape}] and gt [${gt.shape}] differ in shape`);
  if (mask && mask.shape.join() !== gt.shape.join()) throw new Error(`focalLoss: mask [${mask.shape}] and gt [${gt.shape}] differ in shape`);
  return tf.tidy(() => {
    const positive = tf.cast(tf.equal(gt, 1), 'float32');
    // max(N, 1): with no positives posLoss is 0 and this is -negLoss.
    const numPos = tf.maximum(tf.sum(positive), 1);
    const masked = (t: Tensor) => (mask ? tf.mul(t, mask) : t);
    const pos = masked(positive);
    const neg = masked(tf.cast(tf.less(gt, 1), 'float32'));
    const posLoss = tf.sum(tf.mul(tf.mul(tf.log(pred), tf.pow(tf.sub(1, pred), alpha)), pos));
    const negWeight = tf.mul(tf.pow(tf.sub(1, gt), beta), neg);
    const negLoss = tf.sum(tf.mul(tf.mul(tf.log(tf.sub(1, pred)), tf.pow(pred, alpha)), negWeight));
    return tf.neg(tf.div(tf.add(posLoss, negLoss), numPos)) as Scalar;
  });
}
