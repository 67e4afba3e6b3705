// Element-wise kernels the network and the decodes need, at the pointer level (the execution plan
// calls them on kernel-heap buffers): sigmoid, exp, ReLU, nearest up-sampling, channel concat,
// per-channel affine (stand-alone batch norm). `sigmoid` also has a tensor form for the decodes.
import { kernels, type Kernels } from '../wasm/loader.js';
import { runRows } from '../threads/run-rows.js';
import { checkBuffer, withScope } from './heap-scope.js';
import { checkNonNegativeInt, checkPositiveInt, checkTensor, type Tensor } from './tensor.js';

/** out[i] = 1 / (1 + exp(-x[i])), n floats; out may be x. Max relative error ~3e-7; never NaN for finite x. */
export function sigmoidInto(kn: Kernels, x: number, out: number, n: number): void {
  unary('sigmoidInto', kn, x, out, n);
  kn.exports.sigmoidF32(x, out, n);
}

/** out[i] = exp(x[i]), n floats; out may be x. Max relative error ~2e-7 (denormal results aside). */
export function expInto(kn: Kernels, x: number, out: number, n: number): void {
  unary('expInto', kn, x, out, n);
  kn.exports.expF32(x, out, n);
}

/** out[i] = max(x[i], 0), n floats; out may be x (in place). */
export function reluInto(kn: Kernels, x: number, out: number, n: number): void {
  unary('reluInto', kn, x, out, n);
  // memory-bound: a quarter of a multiply-add's worth of work per element, for the pool's threshold
  runRows(kn, { fn: 'reluF32', args: [x, out, n], rows: n, rowsArg: 2, perRow: [[0, 4], [1, 4]], align: 4 }, n / 4);
}

/** Element-wise logistic sigmoid of a tensor (any shape): heatmap logits -> probabilities. */
export function sigmoid(x: Tensor): Tensor {
  checkTensor('sigmoid', 'x', x);
  const kn = kernels();
  return withScope(kn, (s) => {
    const p = s.f32(x.data);
    kn.exports.sigmoidF32(p, p, x.data.length);
    return { data: s.readF32(p, x.data.length), shape: [...x.shape] };
  });
}

/** Nearest up-sampling by an integer factor: x [n, h, w, c] -> out [n, h * factor, w * factor, c]; out must not overlap x. */
export function upsampleNearestInto(kn: Kernels, x: number, shape: readonly number[], factor: number, out: number): void {
  const op = 'upsampleNearestInto';
  const [n, h, w, c] = shape4(op, shape);
  checkPositiveInt(op, 'factor', factor);
  checkBuffer(op, 'x', kn, x, n * h * w * c * 4);
  checkBuffer(op, 'out', kn, out, n * h * w * c * factor * factor * 4);
  // split by input rows (one image)
  runRows(kn, { fn: 'upsampleNearestNhwc', args: [x, n, h, w, c, factor, out], rows: n === 1 ? h : 1, rowsArg: 2, perRow: [[0, w * c * 4], [6, factor * factor * w * c * 4]] }, (n * h * w * c * factor * factor) / 4);
}

/**
 * Channel concatenation of NHWC tensors that share their pixels (n * h * w): out [pixels, sum of
 * channels], the inputs' channels side by side in order. out must not overlap an input.
 */
export function concatChannelsInto(kn: Kernels, inputs: readonly { ptr: number; channels: number }[], pixels: number, out: number): void {
  const op = 'concatChannelsInto';
  checkNonNegativeInt(op, 'pixels', pixels);
  const total = inputs.reduce((sum, t, i) => sum + checkNonNegativeInt(op, `inputs[${i}].channels`, t.channels), 0);
  checkBuffer(op, 'out', kn, out, pixels * total * 4);
  let offset = 0;
  inputs.forEach((t, i) => {
    checkBuffer(op, `inputs[${i}]`, kn, t.ptr, pixels * t.channels * 4);
    runRows(kn, { fn: 'copyChannelsNhwc', args: [t.ptr, pixels, t.channels, out, total, offset], rows: pixels, rowsArg: 1, perRow: [[0, t.channels * 4], [3, total * 4]] }, (pixels * t.channels) / 4);
    offset += t.channels;
  });
}

/**
 * out = x * scale[c] + shift[c] per channel (then ReLU when relu), x and out [pixels, c]; out may be
 * x. Batch norm at inference: scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
 */
export function affineChannelsInto(
  kn: Kernels, x: number, pixels: number, channels: number, scale: number, shift: number, relu: boolean, out: number,
): void {
  const op = 'affineChannelsInto';
  checkNonNegativeInt(op, 'pixels', pixels);
  checkNonNegativeInt(op, 'channels', channels);
  checkBuffer(op, 'x', kn, x, pixels * channels * 4);
  checkBuffer(op, 'scale', kn, scale, channels * 4);
  checkBuffer(op, 'shift', kn, shift, channels * 4);
  checkBuffer(op, 'out', kn, out, pixels * channels * 4);
  runRows(kn, { fn: 'affineChannelsNhwc', args: [x, pixels, channels, scale, shift, relu ? 1 : 0, out], rows: pixels, rowsArg: 1, perRow: [[0, channels * 4], [6, channels * 4]] }, (pixels * channels) / 4);
}

function unary(op: string, kn: Kernels, x: number, out: number, n: number): void {
  checkNonNegativeInt(op, 'n', n);
  checkBuffer(op, 'x', kn, x, n * 4);
  checkBuffer(op, 'out', kn, out, n * 4);
}

function shape4(op: string, shape: readonly number[]): [number, number, number, number] {
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: shape must be [n, h, w, c] of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape as [number, number, number, number];
}
