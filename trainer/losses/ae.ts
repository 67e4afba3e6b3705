// CornerNet's associative-embedding ("pull" / "push") loss, eqs. 4-5 with margin 1, written as the
// official _ae_loss computes it. tlTag, brTag: embeddings gathered at each object's corners [b, m];
// mask [b, m]. Per image with N objects, e_k = (tl_k + br_k) / 2:
//   pull = sum_k [(tl_k - e_k)^2 + (br_k - e_k)^2] / (N + 1e-4)
//   push = sum over all N^2 pairs (k, j) of [max(0, 1 - |e_k - e_j|) - 1 / (N + 1e-4)] / (N (N - 1) + 1e-4)
// both summed over the batch. The "- 1/N" on each of the N^2 pairs cancels the N diagonal pairs
// (|e_k - e_k| = 0 gives 1 each), so push = sum_{k != j} max(0, 1 - |e_k - e_j|) / (N (N - 1)) up to
// the 1e-4 terms. Quirk kept from the official code: an image with one object contributes
// (1 - 1/(1 + 1e-4)) / 1e-4 = 0.9999 to push, a constant without gradient.

import type { Scalar, Tensor2D } from '@tensorflow/tfjs-core';
import type { TF } from '../backend.js';

export function pullPushLoss(tf: TF, tlTag: Tensor2D, brTag: Tensor2D, mask: Tensor2D): { pull: Scalar; push: Scalar } {
  if (tlTag.rank !== 2 || tlTag.shape.join() !== brTag.shape.join() || tlTag.shape.join() !== mask.shape.join()) {
    throw new Error(`pullPushLoss: tlTag [${tlTag.shape}], brTag [${brTag.shape}] and mask [${mask.shape}] must all be [b, m]`);
  }
  return tf.tidy(() => {
    const num = tf.sum(mask, 1, true); // [b, 1]: N per image
    const mean = tf.div(tf.add(tlTag, brTag), 2);
    const spread = tf.add(tf.square(tf.sub(tlTag, mean)), tf.square(tf.sub(brTag, mean)));
    const pull = tf.sum(tf.div(tf.mul(spread, mask), tf.add(num, 1e-4))) as Scalar;

    const [b, m] = mask.shape;
    const pairs = tf.mul(tf.reshape(mask, [b, m, 1]), tf.reshape(mask, [b, 1, m]));
    const dist = tf.abs(tf.sub(tf.reshape(mean, [b, 1, m]), tf.reshape(mean, [b, m, 1])));
    const n3 = tf.reshape(num, [b, 1, 1]);
    const hinge = tf.sub(tf.relu(tf.sub(1, dist)), tf.div(1, tf.add(n3, 1e-4)));
    const push = tf.sum(tf.mul(tf.div(hinge, tf.add(tf.mul(tf.sub(n3, 1), n3), 1e-4)), pairs)) as Scalar;
    return { pull, push };
  });
}
