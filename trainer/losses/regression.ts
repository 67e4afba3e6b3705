// Regression losses on predictions gathered at object slots: pred, target [b, m, d], mask [b, m]
// (1 for real objects, 0 for empty slots).

import type { Scalar, Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { TF } from '../backend.js';

/**
 * CenterNet's RegL1Loss: sum |pred * mask - target * mask| / (sum(mask) + 1e-4), the mask expanded
 * over the d coordinates first, so sum(mask) = d * objects: a mean over coordinates of objects.
 */
export function regL1Loss(tf: TF, pred: Tensor3D, target: Tensor3D, mask: Tensor2D): Scalar {
  checkShapes('regL1Loss', pred, target, mask);
  return tf.tidy(() => {
    const m = tf.mul(tf.expandDims(mask, 2), tf.onesLike(pred));
    const l1 = tf.sum(tf.abs(tf.sub(tf.mul(pred, m), tf.mul(target, m))));
    return tf.div(l1, tf.add(tf.sum(m), 1e-4)) as Scalar;
  });
}

/**
 * Smooth L1 (beta 1), element-wise: 0.5 x^2 where |x| < 1, |x| - 0.5 elsewhere. Written as
 * 0.5 min(|x|, 1)^2 + (|x| - min(|x|, 1)), the same function, because a tf.where on |x| < 1 would
 * put a comparison of x on the gradient path, which tfjs cannot differentiate.
 */
export function smoothL1(tf: TF, x: Tensor): Tensor {
  return tf.tidy(() => {
    const a = tf.abs(x);
    const inner = tf.minimum(a, 1);
    return tf.add(tf.mul(tf.square(inner), 0.5), tf.sub(a, inner));
  });
}

/**
 * CornerNet's _off_loss: smooth L1 summed over the objects' coordinates, divided by the number of
 * objects in the batch + 1e-4 (not by the number of coordinates).
 */
export function offsetSmoothL1Loss(tf: TF, pred: Tensor3D, target: Tensor3D, mask: Tensor2D): Scalar {
  checkShapes('offsetSmoothL1Loss', pred, target, mask);
  return tf.tidy(() => {
    const m = tf.expandDims(mask, 2);
    // Masking the difference (not the loss) keeps empty slots at exactly 0 whatever they hold.
    const sum = tf.sum(smoothL1(tf, tf.mul(tf.sub(pred, target), m)));
    return tf.div(sum, tf.add(tf.sum(mask), 1e-4)) as Scalar;
  });
}

function checkShapes(who: string, pred: Tensor3D, target: Tensor3D, mask: Tensor2D): void {
  if (pred.rank !== 3 || pred.shape.join() !== target.shape.join()) throw new Error(`${who}: pred [${pred.shape}] and target [${target.shape}] must be the same [b, m, d]`);
  if (mask.rank !== 2 || mask.shape[0] !== pred.shape[0] || mask.shape[1] !== pred.shape[1]) {
    throw new Error(`${who}: mask must be [${pred.shape.slice(0, 2)}], got [${mask.shape}]`);
  }
}
