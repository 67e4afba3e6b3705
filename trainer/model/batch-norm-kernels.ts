// Batch norm in training mode as two kernels, forward and backward, for the cpu and wasm backends:
// each one loop nest over the activations, where the same function built from tfjs ops costs
// about 14 kernel calls per layer, each a pass over the activations (broadcast sub / mul / add,
// two means, two sums). The moments and the gradient sums accumulate in float64, so the result is
// at least as accurate as the op-by-op form. The JavaScript here is the scalar spec and what the cpu
// backend runs; the wasm backend runs the SIMD kernels of assembly/train.ts, which compute the same
// float64 expressions in the same order (trainer/wasm-kernels/batch-norm.ts).
//
// Other backends (webgpu) keep the op-by-op form in torch-ops.ts.
import type { DataId, KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

export const BATCH_NORM_TRAIN = 'AnchorlessBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'AnchorlessBatchNormTrainGrad';

/**
 * x [p, c] (NHWC flattened: c channels, p = n*h*w values each) -> y, and the batch's mean and
 * biased variance [c]: y = (x - mean) * gamma / sqrt(variance + eps) + beta.
 */
export function batchNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, y: Float32Array, mean: Float32Array, variance: Float32Array): void {
  const c = gamma.length;
  const p = x.length / c;
  const acc = new Float64Array(c);
  for (let i = 0; i < x.length; i += c) for (let k = 0; k < c; k++) acc[k] += x[i + k];
  for (let k = 0; k < c; k++) mean[k] = acc[k] / p;
  acc.fill(0);
  for (let i = 0; i < x.length; i += c) {
    for (let k = 0; k < c; k++) {
      const d = x[i + k] - mean[k];
      acc[k] += d * d;
    }
  }
  const scale = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    variance[k] = acc[k] / p;
    scale[k] = gamma[k] / Math.sqrt(variance[k] + eps);
  }
  for (let i = 0; i < x.length; i += c) for (let k = 0; k < c; k++) y[i + k] = (x[i + k] - mean[k]) * scale[k] + beta[k];
}

/**
 * The gradient of batchNormForward (PyTorch's batch-norm backward): with xhat = (x - mean) / s,
 * s = sqrt(variance + eps), dbeta = sum(dy), dgamma = sum(dy xhat) and
 * dx = gamma / s * (dy - dbeta / p - xhat dgamma / p).
 */
export function batchNormBackward(
  dy: Float32Array, x: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array, eps: number,
  dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array,
): void {
  const c = gamma.length;
  const p = x.length / c;
  const invStd = new Float64Array(c);
  for (let k = 0; k < c; k++) invStd[k] = 1 / Math.sqrt(variance[k] + eps);
  const sumDy = new Float64Array(c);
  const sumDyXc = new Float64Array(c); // sum(dy (x - mean)): dgamma = this * invStd
  for (let i = 0; i < x.length; i += c) {
    for (let k = 0; k < c; k++) {
      const g = dy[i + k];
      sumDy[k] += g;
      sumDyXc[k] += g * (x[i + k] - mean[k]);
    }
  }
  // dx = a dy + b (x - mean) + d, per channel
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  const d = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    dBeta[k] = sumDy[k];
    dGamma[k] = sumDyXc[k] * invStd[k];
    a[k] = gamma[k] * invStd[k];
    b[k] = (-a[k] * sumDyXc[k] * invStd[k] * invStd[k]) / p;
    d[k] = (-a[k] * sumDy[k]) / p;
  }
  for (let i = 0; i < x.length; i += c) for (let k = 0; k < c; k++) dx[i + k] = a[k] * dy[i + k] + b[k] * (x[i + k] - mean[k]) + d[k];
}

type Args = Parameters<KernelFunc>[0];

function f32(op: string, backend: KernelBackend, name: string, t: TensorInfo | undefined): Float32Array {
  if (!t) throw new Error(`${op}: input ${name} is missing`);
  if (t.dtype !== 'float32') throw new Error(`${op}: ${name} must be float32, got ${t.dtype}`);
  return backend.readSync(t.dataId) as Float32Array;
}

function output(backend: KernelBackend, values: Float32Array, shape: number[]): TensorInfo {
  const dataId: DataId = backend.write(values, shape, 'float32');
  return { dataId, shape, dtype: 'float32' };
}

/** Checks a batch-norm kernel call: x [..., c] with the per-channel vectors [c], dy (backward) x's shape, attribute eps. */
export function batchNormAttrs(op: string, x: TensorInfo | undefined, perChannel: [string, TensorInfo | undefined][], attrs: NamedAttrMap, dy?: TensorInfo | null): { c: number; pixels: number; eps: number } {
  if (!x) throw new Error(`${op}: input x is missing`);
  const c = x.shape[x.shape.length - 1];
  if (x.shape.length < 2 || !(c > 0)) throw new Error(`${op}: x must have a channel axis last, got shape [${x.shape}]`);
  const pixels = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  if (pixels < 2) throw new Error(`${op}: batch norm in training mode needs more than 1 value per channel, got x [${x.shape}]`);
  for (const [name, t] of perChannel) {
    if (!t || t.shape.length !== 1 || t.shape[0] !== c) throw new Error(`${op}: ${name} must have shape [${c}] (x's channels), got ${t ? `[${t.shape}]` : 'nothing'}`);
  }
  if (dy !== undefined && (!dy || dy.shape.length !== x.shape.length || dy.shape.some((d, i) => d !== x.shape[i]))) {
    throw new Error(`${op}: dy must have x's shape [${x.shape}], got ${dy ? `[${dy.shape}]` : 'nothing'}`);
  }
  const eps = attrs.eps;
  if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`${op}: attribute eps must be a positive number, got ${JSON.stringify(eps)}`);
  return { c, pixels, eps };
}

const forwardKernel: KernelFunc = (args: Args) => {
  const op = BATCH_NORM_TRAIN;
  const backend = args.backend as KernelBackend;
  const { x, gamma, beta } = args.inputs as Record<string, TensorInfo>;
  const { c, eps } = batchNormAttrs(op, x, [['gamma', gamma], ['beta', beta]], args.attrs as NamedAttrMap);
  const xs = f32(op, backend, 'x', x);
  const y = new Float32Array(xs.length);
  const mean = new Float32Array(c);
  const variance = new Float32Array(c);
  batchNormForward(xs, f32(op, backend, 'gamma', gamma), f32(op, backend, 'beta', beta), eps, y, mean, variance);
  return [output(backend, y, x.shape), output(backend, mean, [c]), output(backend, variance, [c])];
};

const backwardKernel: KernelFunc = (args: Args) => {
  const op = BATCH_NORM_TRAIN_GRAD;
  const backend = args.backend as KernelBackend;
  const { dy, x, mean, variance, gamma } = args.inputs as Record<string, TensorInfo>;
  const { c, eps } = batchNormAttrs(op, x, [['mean', mean], ['variance', variance], ['gamma', gamma]], args.attrs as NamedAttrMap, dy ?? null);
  const xs = f32(op, backend, 'x', x);
  const dx = new Float32Array(xs.length);
  const dGamma = new Float32Array(c);
  const dBeta = new Float32Array(c);
  batchNormBackward(f32(op, backend, 'dy', dy), xs, f32(op, backend, 'mean', mean), f32(op, backend, 'variance', variance), f32(op, backend, 'gamma', gamma), eps, dx, dGamma, dBeta);
  return [output(backend, dx, x.shape), output(backend, dGamma, [c]), output(backend, dBeta, [c])];
};

/** The cpu backend's kernel configs (the wasm backend's are in trainer/wasm-kernels/batch-norm.ts). */
export const BATCH_NORM_CPU_KERNELS = [
  { kernelName: BATCH_NORM_TRAIN, backendName: 'cpu', kernelFunc: forwardKernel },
  { kernelName: BATCH_NORM_TRAIN_GRAD, backendName: 'cpu', kernelFunc: backwardKernel },
] as const;
