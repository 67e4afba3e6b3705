// Runs a kernel the wasm backend lacks with the cpu backend's implementation: read the inputs out
// of the wasm heap, run the cpu kernel, write the outputs back. Correct but it copies every input
// and output once; our own SIMD kernels (see register.ts) replace it for the kernels that matter.

import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { TF } from '../backend.js';

/**
 * The cpu backend instance, with its one-time "install the node backend" console notice turned
 * off: the trainer prints its own account of the backend choice.
 */
export function quietCpuBackend(tf: TF): KernelBackend {
  const cpu = tf.findBackend('cpu');
  if (!cpu) throw new Error('the TensorFlow.js cpu backend is not registered (import @tensorflow/tfjs-backend-cpu)');
  (cpu as unknown as { firstUse?: boolean }).firstUse = false;
  return cpu;
}

/**
 * Registers, for each named kernel that `backendName` does not have, a kernel that runs the cpu
 * backend's implementation on copies of the data. Returns the names it registered.
 */
export function registerCpuFallbackKernels(tf: TF, kernelNames: readonly string[], backendName = 'wasm'): string[] {
  const registered: string[] = [];
  for (const kernelName of kernelNames) {
    if (tf.getKernel(kernelName, backendName)) continue;
    if (!tf.getKernel(kernelName, 'cpu')) throw new Error(`registerCpuFallbackKernels: the cpu backend has no ${kernelName} kernel to fall back on`);
    tf.registerKernel({ kernelName, backendName, kernelFunc: cpuFallbackKernelFunc(tf, kernelName) });
    registered.push(kernelName);
  }
  return registered;
}

/**
 * A kernel function that runs the cpu backend's `kernelName` on copies of its inputs and writes the
 * outputs back to the backend it was called with (also the route for the layouts our own kernels
 * do not take, e.g. NCHW).
 */
export function cpuFallbackKernelFunc(tf: TF, kernelName: string): KernelFunc {
  return ({ inputs, backend: target, attrs }) => {
    const backend = target as KernelBackend;
    const cpu = quietCpuBackend(tf);
    // Looked up per call: whatever implements it on the cpu backend now (see cpu-kernels/).
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    if (!cpuKernel) throw new Error(`${kernelName}: the cpu backend has no such kernel to fall back on`);
    const moved: Record<string, TensorInfo> = {};
    try {
      for (const [key, t] of Object.entries(inputs)) {
        if (!t) continue;
        const values = backend.readSync(t.dataId) as Float32Array | Int32Array | Uint8Array;
        moved[key] = { dataId: cpu.write(values, t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
      }
      const out = cpuKernel.kernelFunc({ inputs: moved, backend: cpu, attrs });
      const outs = Array.isArray(out) ? out : [out];
      const back = outs.map((o) => {
        const values = cpu.readSync(o.dataId) as Float32Array | Int32Array | Uint8Array;
        cpu.disposeData(o.dataId);
        return { dataId: backend.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
      });
      return Array.isArray(out) ? back : back[0];
    } finally {
      for (const t of Object.values(moved)) cpu.disposeData(t.dataId);
    }
  };
}
