// Replaces the tfjs cpu backend's weight-gradient kernels (Conv2DBackpropFilter,
// DepthwiseConv2dNativeBackpropFilter) with the loops in conv-backprop-filter.ts for NHWC data;
// anything else (NCHW) still goes to the original kernels.

import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { TF } from '../backend.js';
import { conv2dBackpropFilter, depthwiseBackpropFilter, type ConvGeometryInfo } from './conv-backprop-filter.js';
import { BATCH_NORM_CPU_KERNELS } from '../model/batch-norm-kernels.js';
import { CORNER_POOL_CPU_KERNELS } from '../layers/corner-pool-kernels.js';
import { UPSAMPLE_CPU_KERNELS } from '../layers/upsample-kernels.js';
import { DEFORM_CPU_KERNELS } from '../layers/deform-conv-kernels.js';
import { ADAM_KERNELS } from '../adam-kernel.js';
import { MAX_POOL_CPU_KERNELS } from '../layers/max-pool-kernels.js';

type Pad = 'valid' | 'same' | number;
type Shape4 = [number, number, number, number];

let registered: string[] | undefined;

/** Idempotent; returns the kernel names it replaced. */
export function registerFastCpuKernels(tf: TF): string[] {
  if (registered) return registered;
  registered = [];
  const replace = (kernelName: string, run: (x: Float32Array, dy: Float32Array, g: ConvGeometryInfo) => Float32Array, depthwise: boolean) => {
    const original = tf.getKernel(kernelName, 'cpu');
    if (!original) throw new Error(`registerFastCpuKernels: the cpu backend has no ${kernelName} kernel`);
    const config: KernelConfig = {
      kernelName,
      backendName: 'cpu',
      kernelFunc: (args) => {
        const { inputs, attrs } = args;
        const backend = args.backend as KernelBackend;
        const a = attrs as NamedAttrMap;
        if (a.dataFormat === 'NCHW') return original.kernelFunc(args);
        const x = inputs.x as TensorInfo;
        const dy = inputs.dy as TensorInfo;
        const g = tf.backend_util.computeConv2DInfo(
          x.shape as Shape4,
          a.filterShape as Shape4,
          a.strides as [number, number],
          depthwise ? (a.dilations as [number, number]) : 1,
          a.pad as Pad,
          a.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
          depthwise,
        );
        const dw = run(backend.readSync(x.dataId) as Float32Array, backend.readSync(dy.dataId) as Float32Array, g);
        return { dataId: backend.write(dw, g.filterShape, 'float32'), shape: g.filterShape, dtype: 'float32' };
      },
    };
    tf.unregisterKernel(kernelName, 'cpu');
    tf.registerKernel(config);
    registered!.push(kernelName);
  };
  replace('Conv2DBackpropFilter', conv2dBackpropFilter, false);
  replace('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter, true);
  return registered;
}

/**
 * The trainer's fused kernels (batch norm in training mode, corner pooling, nearest up-sampling, max
 * pooling and their gradients) for the cpu backend, as their JavaScript specs; the wasm backend gets SIMD ones
 * from registerWasmTrainingKernels. Also the fused Adam update, whose JavaScript loop serves the cpu
 * and the wasm backend alike (it is memory-bound: one pass over four arrays), and DCNv2's sampling
 * kernels likewise (JavaScript loops, not SIMD). Idempotent.
 */
export function registerFusedCpuKernels(tf: TF): void {
  for (const config of [...BATCH_NORM_CPU_KERNELS, ...CORNER_POOL_CPU_KERNELS, ...UPSAMPLE_CPU_KERNELS, ...MAX_POOL_CPU_KERNELS, ...ADAM_KERNELS, ...DEFORM_CPU_KERNELS]) {
    if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
  }
}
