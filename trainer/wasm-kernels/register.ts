// The kernels a training step needs that @tensorflow/tfjs-backend-wasm (4.22) does not register,
// and the hook that supplies them. Today every one of them runs the cpu backend's code through
// registerCpuFallbackKernels; kernels from our own SIMD build get registered here first as they
// land, and the fallback then only fills what is still missing.

import type { TF } from '../backend.js';
import { registerCpuFallbackKernels } from './cpu-fallback.js';

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

export interface WasmKernelReport {
  /** Kernels supplied by our own wasm SIMD code. */
  native: string[];
  /** Kernels that run the cpu backend's implementation, copying data in and out. */
  cpuFallback: string[];
}

let report: WasmKernelReport | undefined;

/**
 * Makes the wasm backend able to train: registers what WASM_TRAINING_KERNELS lists and it lacks.
 * Idempotent; every call returns the report of the first.
 */
export function registerWasmTrainingKernels(tf: TF): WasmKernelReport {
  if (report) return report;
  const native: string[] = [];
  const cpuFallback = registerCpuFallbackKernels(tf, WASM_TRAINING_KERNELS, 'wasm');
  report = { native, cpuFallback };
  return report;
}
