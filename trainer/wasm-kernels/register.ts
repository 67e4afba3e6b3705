// The kernels a training step needs on @tensorflow/tfjs-backend-wasm (4.22) beyond what it ships,
// and the hook that supplies them: our own wasm SIMD kernels first (native), the cpu backend's code
// through registerCpuFallbackKernels for whatever is still missing.

import type { TF } from '../backend.js';
import { init } from '../../runtime/wasm/loader.js';
import { conv2dBackpropFilterConfig } from './conv-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv-backprop-input.js';
import { conv2dForwardConfig } from './conv2d-forward.js';
import type { NativeContext } from './context.js';
import { registerCpuFallbackKernels } from './cpu-fallback.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop.js';
import { GrowBuffers } from './scratch.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../model/batch-norm-kernels.js';
import { batchNormTrainConfigs } from './batch-norm.js';
import { loadTrainKernels } from './train-module.js';
import { cornerPoolConfigs } from './corner-pool.js';
import { upsampleConfigs } from './upsample.js';
import { maxPoolConfigs } from './max-pool.js';
import { MAX_POOL, MAX_POOL_GRAD } from '../layers/max-pool-kernels.js';
import { UPSAMPLE_NEAREST, UPSAMPLE_NEAREST_GRAD } from '../layers/upsample-kernels.js';
import { CORNER_POOL, CORNER_POOL_GRAD } from '../layers/corner-pool-kernels.js';
import { identityConfig } from './identity.js';

/**
 * Gradient kernels of the ops our graphs use that the wasm backend lacks (found with
 * tf.getKernelsForBackend: the cpu backend has them, wasm does not):
 * - Conv2DBackpropFilter: weight gradient of every conv and transposed conv;
 * - DepthwiseConv2dNativeBackpropFilter / BackpropInput: gradients of depthwise convs (fire modules);
 * - UnsortedSegmentSum: gradient of tf.gather (the losses use our own gather, whose gradient is a
 *   ScatterNd, but any tf.gather in a training graph needs it).
 */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
] as const;

/**
 * Kernels registered from our SIMD build: the three gradients above; Conv2DBackpropInput, which
 * the wasm backend has but runs as a scalar loop (input gradient of every conv, and the forward
 * pass of every transposed conv); Conv2D, which the backend runs through XNNPACK at about half
 * our kernels' speed on the training shapes; and the trainer's fused kernels, batch norm in training
 * mode (trainer/model/batch-norm-kernels.ts), corner pooling (trainer/layers/corner-pool-kernels.ts),
 * nearest up-sampling (trainer/layers/upsample-kernels.ts) and max pooling
 * (trainer/layers/max-pool-kernels.ts), with the training module (assembly/train.ts); and
 * Identity as an alias instead of a copy (identity.ts: the engine clones each tensor a gradient saves).
 */
export const WASM_NATIVE_KERNELS = [
  'Conv2D',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  CORNER_POOL,
  CORNER_POOL_GRAD,
  UPSAMPLE_NEAREST,
  UPSAMPLE_NEAREST_GRAD,
  MAX_POOL,
  MAX_POOL_GRAD,
  'Identity',
] as const;

export interface WasmKernelReport {
  /** Kernels supplied by our own wasm SIMD code. */
  native: string[];
  /** Kernels that run the cpu backend's implementation, copying data in and out. */
  cpuFallback: string[];
}

let report: Promise<WasmKernelReport> | undefined;
let context: NativeContext | undefined;

/**
 * Makes the wasm backend able to train, fast: loads our kernel module (init()), registers
 * WASM_NATIVE_KERNELS from it for the 'wasm' backend, then the cpu fallback for the rest of
 * WASM_TRAINING_KERNELS. Call after tf.setBackend('wasm') resolved. Idempotent; every call returns
 * the report of the first.
 */
export function registerWasmTrainingKernels(tf: TF): Promise<WasmKernelReport> {
  report ??= (async () => {
    const k = await init();
    const ctx: NativeContext = { tf, k, bufs: new GrowBuffers(k) };
    context = ctx;
    const original = (name: string) => {
      const config = tf.getKernel(name, 'wasm');
      if (!config) throw new Error(`registerWasmTrainingKernels: the wasm backend has no ${name} kernel (is @tensorflow/tfjs-backend-wasm loaded?)`);
      return config;
    };
    // loaded before anything is registered: a failed load then leaves the backend's own kernels in
    // place, and a retry finds them as `original`
    const train = await loadTrainKernels(k);
    const configs = [
      conv2dForwardConfig(ctx, original('Conv2D')),
      conv2dBackpropFilterConfig(ctx, train),
      conv2dBackpropInputConfig(ctx, original('Conv2DBackpropInput')),
      depthwiseBackpropFilterConfig(ctx, train),
      depthwiseBackpropInputConfig(ctx, train),
      // batch norm in training mode, corner pooling, nearest up-sampling, max pooling: with the training module (assembly/train.ts)
      ...batchNormTrainConfigs(ctx, train),
      ...cornerPoolConfigs(ctx, train),
      ...upsampleConfigs(ctx, train),
      ...maxPoolConfigs(ctx, train),
      identityConfig(original('Identity')),
    ];
    const native: string[] = [];
    for (const config of configs) {
      if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
      native.push(config.kernelName);
    }
    const cpuFallback = registerCpuFallbackKernels(tf, WASM_TRAINING_KERNELS, 'wasm');
    return { native, cpuFallback };
  })();
  // A failed load can be retried.
  report.catch(() => {
    report = undefined;
  });
  return report;
}

/** Bytes of our kernel heap the native kernels hold between calls (grow-only buffers); 0 before registration. */
export function wasmTrainingScratchBytes(): number {
  return context?.bufs.heldBytes ?? 0;
}
