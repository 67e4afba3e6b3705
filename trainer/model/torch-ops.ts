// PyTorch layer semantics from TensorFlow.js ops, NHWC, each differentiable on every backend:
// Conv2d (symmetric zero padding, dilation, groups), ConvTranspose2d (padding, output_padding),
// MaxPool2d (-inf padding), nearest up-sampling, BatchNorm2d's training-mode normalisation.

import type { GradSaveFunc, Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import type { TF } from '../backend.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from './batch-norm-kernels.js';
import { UPSAMPLE_NEAREST, UPSAMPLE_NEAREST_GRAD } from '../layers/upsample-kernels.js';
import { MAX_POOL, MAX_POOL_GRAD } from '../layers/max-pool-kernels.js';

export interface ConvGeometry {
  stride: number;
  pad: number;
  dilation: number;
  groups: number;
}

/**
 * x [n, h, w, cin], w HWIO [k, k, cin / groups, cout] -> [n, oh, ow, cout], oh = floor((h + 2 pad -
 * dilation (k - 1) - 1) / stride) + 1. Zero padding is the conv's own explicit padding (one kernel
 * forward and back; a separate tf.pad and its gradient, a slice, cost 5% of a centernet-tiny step),
 * except with groups that split into several convs, which share one tf.pad. Dilation is applied
 * to the kernel (zeros between taps) because tfjs has no conv gradient for dilation > 1; groups =
 * cin runs as a depthwise conv.
 */
export function conv2dTorch(tf: TF, x: Tensor4D, w: Tensor4D, g: ConvGeometry): Tensor4D {
  const cin = x.shape[3];
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [g.pad, g.pad], [g.pad, g.pad], [0, 0]];
  const wd = g.dilation > 1 ? dilateKernel(tf, w, g.dilation) : w;
  const s: [number, number] = [g.stride, g.stride];
  if (g.groups === 1) return tf.conv2d(x, wd, s, g.pad > 0 ? pad : 'valid');
  const [kh, kw, , cout] = wd.shape;
  if (g.groups === cin) {
    // HWIO [k, k, 1, cout] with output o = c * mult + m is tf's depthwise [k, k, cin, mult].
    return tf.depthwiseConv2d(x, tf.reshape(wd, [kh, kw, cin, cout / cin]) as Tensor4D, s, g.pad > 0 ? pad : 'valid');
  }
  const xp = g.pad > 0 ? tf.pad(x, pad) : x;
  const xs = tf.split(xp, g.groups, 3);
  const ws = tf.split(wd, g.groups, 3);
  return tf.concat(xs.map((xi, i) => tf.conv2d(xi as Tensor4D, ws[i] as Tensor4D, s, 'valid')), 3) as Tensor4D;
}

/** [k, k, ci, co] -> [span, span, ci, co], span = d (k - 1) + 1, taps d apart, zeros between. */
function dilateKernel(tf: TF, w: Tensor4D, d: number): Tensor4D {
  const [k, k2, ci, co] = w.shape;
  const span = d * (k - 1) + 1;
  const span2 = d * (k2 - 1) + 1;
  // Rows: [k, 1, k2 ci co] -> pad to [k, d, ...] -> [k d, k2, ci, co] -> first span rows.
  let y: Tensor4D = tf.reshape(tf.pad(tf.reshape(w, [k, 1, k2 * ci * co]), [[0, 0], [0, d - 1], [0, 0]]), [k * d, k2, ci, co]) as Tensor4D;
  y = tf.slice(y, [0, 0, 0, 0], [span, k2, ci, co]);
  // Columns likewise.
  y = tf.reshape(tf.pad(tf.reshape(y, [span, k2, 1, ci * co]), [[0, 0], [0, 0], [0, d - 1], [0, 0]]), [span, k2 * d, ci, co]) as Tensor4D;
  return tf.slice(y, [0, 0, 0, 0], [span, span2, ci, co]) as Tensor4D;
}

/**
 * ConvTranspose2d: x [n, h, w, cin], w [k, k, cout, cin] -> [n, oh, ow, cout] with
 * oh = (h - 1) stride - 2 pad + k + outputPadding. tf.conv2dTranspose computes the un-padded
 * output (h - 1) stride + k + outputPadding (the extra outputPadding rows only receive zeros);
 * PyTorch's `padding` then removes `pad` rows and columns from each side.
 */
export function deconvTorch(tf: TF, x: Tensor4D, w: Tensor4D, g: { stride: number; pad: number; outputPadding: number; groups?: number }): Tensor4D {
  const groups = g.groups ?? 1;
  if (groups > 1) return groupedDeconvTorch(tf, x, w, { ...g, groups });
  const [n, h, wd] = x.shape;
  const [k, k2, cout] = w.shape;
  const fullH = (h - 1) * g.stride + k + g.outputPadding;
  const fullW = (wd - 1) * g.stride + k2 + g.outputPadding;
  const full = tf.conv2dTranspose(x, w, [n, fullH, fullW, cout], [g.stride, g.stride], 'valid');
  if (g.pad === 0) return full;
  return tf.slice(full, [0, g.pad, g.pad, 0], [n, fullH - 2 * g.pad, fullW - 2 * g.pad, cout]);
}

/**
 * Grouped ConvTranspose2d, w [k, k, cout / groups, cin]. Depthwise (one input and one output
 * channel per group, DLA-34's up-sampling) is the equivalent forward conv: zeros inserted between
 * the input pixels (stride - 1 per gap), k - 1 - pad of zero padding (plus outputPadding at the
 * bottom and right; a negative amount crops), a depthwise conv with the spatially flipped kernel.
 * Other groupings run one transposed conv per group.
 */
function groupedDeconvTorch(tf: TF, x: Tensor4D, w: Tensor4D, g: { stride: number; pad: number; outputPadding: number; groups: number }): Tensor4D {
  const [n, h, wd, cin] = x.shape;
  const [k, k2, coutG] = w.shape;
  if (cin % g.groups !== 0) throw new Error(`deconvTorch: groups ${g.groups} does not divide the ${cin} input channels`);
  if (coutG === 1 && g.groups === cin) {
    const s = g.stride;
    let y: Tensor4D = x;
    if (s > 1) {
      // every pixel followed by s - 1 zeros each way, in two 4-D pads (the webgpu backend's pad
      // shader fails for 6-D tensors): each pixel's s - 1 zero columns, then each row's s - 1 zero rows
      const cols = tf.pad(tf.reshape(x, [n * h, wd, 1, cin]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]);
      const spread = tf.pad(tf.reshape(cols, [n, h, 1, wd * s * cin]), [[0, 0], [0, 0], [0, s - 1], [0, 0]]);
      y = tf.slice(tf.reshape(spread, [n, h * s, wd * s, cin]) as Tensor4D, [0, 0, 0, 0], [n, (h - 1) * s + 1, (wd - 1) * s + 1, cin]);
    }
    y = padOrCrop(tf, y, k - 1 - g.pad, k - 1 - g.pad + g.outputPadding, k2 - 1 - g.pad, k2 - 1 - g.pad + g.outputPadding);
    const flipped = tf.reshape(tf.reverse(w, [0, 1]), [k, k2, cin, 1]) as Tensor4D;
    return tf.depthwiseConv2d(y, flipped, 1, 'valid');
  }
  const xs = tf.split(x, g.groups, 3);
  const ws = tf.split(w, g.groups, 3);
  const one = { stride: g.stride, pad: g.pad, outputPadding: g.outputPadding };
  return tf.concat(xs.map((xi, i) => deconvTorch(tf, xi as Tensor4D, ws[i] as Tensor4D, one)), 3) as Tensor4D;
}

/** Zero padding of rows / columns on each side; a negative amount crops that many instead. */
function padOrCrop(tf: TF, x: Tensor4D, top: number, bottom: number, left: number, right: number): Tensor4D {
  const [n, h, w, c] = x.shape;
  const p = (v: number) => Math.max(v, 0);
  let y = top > 0 || bottom > 0 || left > 0 || right > 0 ? tf.pad(x, [[0, 0], [p(top), p(bottom)], [p(left), p(right)], [0, 0]]) : x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const t = p(-top);
    const l = p(-left);
    y = tf.slice(y, [0, t, l, 0], [n, h + top + bottom, w + left + right, c]);
  }
  return y;
}

/** MaxPool2d: -inf padding, floor rounding. */
export function maxPoolTorch(tf: TF, x: Tensor4D, kernel: number, stride: number, pad: number, opts: { opByOp?: boolean } = {}): Tensor4D {
  if (!opts.opByOp && tf.getKernel(MAX_POOL, tf.getBackend())) {
    // the fused kernels of max-pool-kernels.ts (cpu and wasm backends); opts.opByOp forces pad + maxPool (tests)
    const attrs = { kernel, stride, pad };
    const pool = tf.customGrad((...args: (Tensor | GradSaveFunc)[]) => {
      const input = args[0] as Tensor4D;
      (args[1] as GradSaveFunc)([input]);
      return {
        value: tf.engine().runKernel(MAX_POOL, { x: input }, attrs) as Tensor4D,
        gradFunc: (dy, saved) => tf.engine().runKernel(MAX_POOL_GRAD, { dy: dy as Tensor4D, x: saved[0] }, attrs) as Tensor4D,
      };
    });
    return pool(x) as Tensor4D;
  }
  const xp = pad > 0 ? tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]], -Infinity) : x;
  return tf.maxPool(xp, kernel, stride, 'valid');
}

/**
 * Nearest up-sampling by an integer factor: out[y, x] = in[floor(y / f), floor(x / f)], as a
 * broadcast along a new axis for each side, so the gradient is a plain sum over each f x f block.
 * Not tf.image.resizeNearestNeighbor: the cpu backend's ResizeNearestNeighborGrad (tfjs 4.22)
 * indexes dy with the input's batch stride and returns wrong gradients for batch > 1.
 */
export function upsampleNearest(tf: TF, x: Tensor4D, factor: number, opts: { opByOp?: boolean } = {}): Tensor4D {
  const [n, h, w, c] = x.shape;
  if (factor === 1) return tf.clone(x);
  if (!opts.opByOp && tf.getKernel(UPSAMPLE_NEAREST, tf.getBackend())) {
    // the fused kernels of upsample-kernels.ts (cpu and wasm backends); opts.opByOp forces the broadcasts (tests)
    const up = tf.customGrad((...args: (Tensor | GradSaveFunc)[]) => ({
      value: tf.engine().runKernel(UPSAMPLE_NEAREST, { x: args[0] as Tensor4D }, { factor }) as Tensor4D,
      gradFunc: (dy) => tf.engine().runKernel(UPSAMPLE_NEAREST_GRAD, { dy: dy as Tensor4D }, { factor }) as Tensor4D,
    }));
    return up(x) as Tensor4D;
  }
  const cols = tf.reshape(tf.broadcastTo(tf.reshape(x, [n * h, w, 1, c]), [n * h, w, factor, c]), [n, h, 1, w * factor * c]);
  return tf.reshape(tf.broadcastTo(cols, [n, h, factor, w * factor * c]), [n, h * factor, w * factor, c]);
}

export interface BatchMoments {
  mean: Tensor1D;
  /** Biased (divided by n), what the normalisation uses. */
  variance: Tensor1D;
  /** n = batch * height * width values per channel. */
  count: number;
}

/**
 * BatchNorm2d in training mode: normalise with the batch's own moments (biased variance), then
 * scale and shift. `onMoments` receives the moments while they exist (they are freed with the
 * forward pass), e.g. to update running statistics.
 *
 * The gradient is written out (PyTorch's batch-norm backward) rather than left to autodiff, which
 * differentiates moments() and the broadcasts op by op: with xhat = (x - mean) / sqrt(var + eps),
 *   dbeta = sum(dy), dgamma = sum(dy xhat),
 *   dx = gamma / sqrt(var + eps) * (dy - dbeta / n - xhat dgamma / n),
 * computed as dx = a dy + b xhat + c with per-channel a, b, c: 7 passes over the activations
 * instead of about 16 (a centernet-tiny step of 8 on the wasm backend: 264 ms instead of 308).
 */
export function batchNormTrain(tf: TF, x: Tensor4D, gamma: Tensor1D, beta: Tensor1D, eps: number, onMoments?: (m: BatchMoments) => void, opts: { opByOp?: boolean } = {}): Tensor4D {
  const [n, h, w] = x.shape;
  const count = n * h * w;
  if (count < 2) throw new Error(`batch norm in training mode needs more than 1 value per channel, got input [${x.shape}]`);
  // the fused kernels of batch-norm-kernels.ts (cpu and wasm backends); opts.opByOp forces the form below (tests)
  if (!opts.opByOp && tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend())) return batchNormTrainFused(tf, x, gamma, beta, eps, count, onMoments);
  const axes = [0, 1, 2];
  // (tfjs types customGrad's arguments as one union: named casts below)
  const normalise = tf.customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const [x4, gammaIn, betaIn] = args as [Tensor4D, Tensor1D, Tensor1D];
    const save = args[3] as GradSaveFunc;
    const mean = tf.mean(x4, axes) as Tensor1D;
    const centred = tf.sub(x4, mean);
    const variance = tf.mean(tf.square(centred), axes) as Tensor1D;
    onMoments?.({ mean, variance, count });
    const invStd = tf.rsqrt(tf.add(variance, eps));
    const scale = tf.mul(gammaIn, invStd);
    save([centred, invStd, gammaIn]);
    return {
      value: tf.add(tf.mul(centred, scale), betaIn),
      gradFunc: (dy, saved) => {
        const [c, s, g] = saved as [Tensor4D, Tensor1D, Tensor1D];
        const xhat = tf.mul(c, s);
        const dBeta = tf.sum(dy, axes) as Tensor1D;
        const dGamma = tf.sum(tf.mul(dy, xhat), axes) as Tensor1D;
        const a = tf.mul(g, s);
        const b = tf.mul(a, tf.div(dGamma, -count));
        const cc = tf.mul(a, tf.div(dBeta, -count));
        const dx = tf.add(tf.add(tf.mul(dy, a), tf.mul(xhat, b)), cc);
        return [dx, dGamma, dBeta];
      },
    };
  });
  return normalise(x, gamma, beta) as Tensor4D;
}

/** batchNormTrain through the fused kernels of batch-norm-kernels.ts: one call forward, one backward. */
function batchNormTrainFused(tf: TF, x: Tensor4D, gamma: Tensor1D, beta: Tensor1D, eps: number, count: number, onMoments?: (m: BatchMoments) => void): Tensor4D {
  const normalise = tf.customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const [x4, gammaIn, betaIn] = args as [Tensor4D, Tensor1D, Tensor1D];
    const save = args[3] as GradSaveFunc;
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: x4, gamma: gammaIn, beta: betaIn }, { eps }) as [Tensor4D, Tensor1D, Tensor1D];
    onMoments?.({ mean, variance, count });
    save([x4, mean, variance, gammaIn]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [xs, m, v, g] = saved as [Tensor4D, Tensor1D, Tensor1D, Tensor1D];
        return tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy: dy as Tensor4D, x: xs, mean: m, variance: v, gamma: g }, { eps }) as Tensor[];
      },
    };
  });
  return normalise(x, gamma, beta) as Tensor4D;
}
