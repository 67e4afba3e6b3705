// Gathers head outputs at object positions (the official _transpose_and_gather_feat, NHWC):
// feat [b, h, w, c], index [b, m] (flat y * w + x) -> [b, m, c].
// tf.gather's own gradient is an UnsortedSegmentSum, which the cpu backend computes with one pass
// over the data per segment (h * w passes here) and the wasm backend lacks; the gradient here is a
// single ScatterNd, which adds the contributions of repeated indices (two objects on one pixel).

import type { GradSaveFunc, Tensor, Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import type { TF } from '../backend.js';

export function gatherAt(tf: TF, feat: Tensor4D, index: Tensor2D): Tensor3D {
  if (feat.rank !== 4) throw new Error(`gatherAt: feat must be [b, h, w, c], got shape [${feat.shape}]`);
  if (index.rank !== 2 || index.shape[0] !== feat.shape[0]) {
    throw new Error(`gatherAt: index must be [${feat.shape[0]}, m] to match feat [${feat.shape}], got [${index.shape}]`);
  }
  if (index.dtype !== 'int32') throw new Error(`gatherAt: index must be int32, got ${index.dtype}`);
  const [b, h, w, c] = feat.shape;
  const m = index.shape[1];
  // Row of every object in feat viewed as [b * h * w, c].
  const rows = tf.tidy(() => tf.reshape(tf.add(index, tf.mul(tf.reshape(tf.range(0, b, 1, 'int32'), [b, 1]), tf.scalar(h * w, 'int32'))), [b * m]));
  const gather = tf.customGrad((...args: Array<Tensor | GradSaveFunc>) => {
    const x = args[0] as Tensor;
    const save = args[1] as GradSaveFunc;
    save([rows]);
    const value = tf.reshape(tf.gather(tf.reshape(x, [b * h * w, c]), rows), [b, m, c]);
    const gradFunc = (dy: Tensor, saved: Tensor[]) =>
      tf.reshape(tf.scatterND(tf.reshape(saved[0], [b * m, 1]), tf.reshape(dy, [b * m, c]), [b * h * w, c]), [b, h, w, c]);
    return { value, gradFunc };
  });
  const out = gather(feat) as Tensor3D;
  rows.dispose();
  return out;
}
