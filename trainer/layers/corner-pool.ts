// CornerNet corner pooling in TensorFlow.js, NHWC [n, h, w, c] -> [n, h, w, c], differentiable on
// every backend. Directions as DESIGN.md: top = max over the rows at or below, left = max over the
// columns at or to the right, bottom = max over the rows at or above, right = max over the columns
// at or to the left.
//
// Forward: the official C++'s log-step doubling. For offsets 1, 2, 4, ... < size,
// x = max(shift(x, offset), x), the shift bringing values from farther along the scan and filling
// with -inf; after the last step each position holds the max of its whole half-line.
// On the cpu and wasm backends both run as fused kernels instead (corner-pool-kernels.ts), with the
// same gradient rule; this op-by-op form serves the others (webgpu), and opts.opByOp forces it (tests).
// Gradient: autodiff of those steps. tf.maximum sends the gradient of a tie to its first argument,
// here the shifted (farther) value, so dy reaches the maximum farthest from the output position
// along the pooling direction, i.e. the one nearest the edge the scan starts from. That is the
// official backward's rule: it scans from that edge and moves its argmax only on a strictly
// greater value (at::gt), so the first-found, farthest maximum keeps the gradient.

import type { GradSaveFunc, Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { CornerDirection } from '../../runtime/model/graph.js';
import type { TF } from '../backend.js';
import { CORNER_POOL, CORNER_POOL_GRAD } from './corner-pool-kernels.js';

const DIRECTIONS: readonly CornerDirection[] = ['top', 'left', 'bottom', 'right'];

export function cornerPool(tf: TF, x: Tensor4D, direction: CornerDirection, opts: { opByOp?: boolean } = {}): Tensor4D {
  if (!DIRECTIONS.includes(direction)) throw new Error(`cornerPool: direction must be one of ${DIRECTIONS.join(', ')}, got ${JSON.stringify(direction)}`);
  if (x.rank !== 4) throw new Error(`cornerPool: x must be NHWC (rank 4), got shape [${x.shape}]`);
  if (!opts.opByOp && tf.getKernel(CORNER_POOL, tf.getBackend())) return cornerPoolFused(tf, x, direction);
  const axis = direction === 'top' || direction === 'bottom' ? 1 : 2;
  // top / left read from higher indices (the scan starts at the far end), bottom / right from lower.
  const fromHigher = direction === 'top' || direction === 'left';
  const size = x.shape[axis];
  return tf.tidy(() => {
    let y = x;
    for (let offset = 1; offset < size; offset *= 2) {
      y = tf.maximum(shift(tf, y, axis, offset, fromHigher), y);
    }
    return y;
  });
}

/** The same through the fused kernels of corner-pool-kernels.ts (cpu and wasm backends): one scan each way. */
function cornerPoolFused(tf: TF, x: Tensor4D, direction: CornerDirection): Tensor4D {
  const pool = tf.customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const x4 = args[0] as Tensor4D;
    const save = args[1] as GradSaveFunc;
    save([x4]);
    return {
      value: tf.engine().runKernel(CORNER_POOL, { x: x4 }, { direction }) as Tensor4D,
      gradFunc: (dy, saved) => tf.engine().runKernel(CORNER_POOL_GRAD, { x: saved[0], dy: dy as Tensor4D }, { direction }) as Tensor4D,
    };
  });
  return pool(x) as Tensor4D;
}

/** y[i] = x[i + offset] (fromHigher) or x[i - offset], -inf where that falls outside. */
function shift(tf: TF, x: Tensor4D, axis: number, offset: number, fromHigher: boolean): Tensor4D {
  const size = x.shape[axis];
  const begin = [0, 0, 0, 0];
  const sliceSize = [...x.shape];
  sliceSize[axis] = size - offset;
  if (fromHigher) begin[axis] = offset;
  const kept = tf.slice(x, begin, sliceSize);
  const padding: Array<[number, number]> = [[0, 0], [0, 0], [0, 0], [0, 0]];
  padding[axis] = fromHigher ? [0, offset] : [offset, 0];
  return tf.pad(kept, padding, -Infinity);
}
