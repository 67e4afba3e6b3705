// The parts of tfjs-backend-webgpu's program interface that the trainer's WebGPU kernels use (the
// package exports no type for them). A program is WGSL user code that tfjs wraps with bindings:
// each input as a storage array named by variableNames, `result` for the output, and a `uniforms`
// struct holding the shapes plus the program's own fields.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { TF } from '../backend.js';

export type { TensorInfo };

export interface WebGpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  /** The output is `array<atomic<i32>>`, and the caller passes it, initialised (runWebGPUProgram's `output`). */
  atomic?: boolean;
  getUserCode(): string;
}
export interface WebGpuBackendLike {
  /** `output`: a tensor to write into instead of a new one (an atomic program's, initialised). */
  runWebGPUProgram(program: WebGpuProgram, inputs: TensorInfo[], dtype: string, uniforms?: { type: string; data: number[] }[], output?: TensorInfo): TensorInfo;
  disposeData(dataId: object): void;
}

/** The dispatch of a program with one invocation per output element, in workgroups of 64. */
export function flatDispatch(size: number): Pick<WebGpuProgram, 'dispatch' | 'workgroupSize' | 'size'> {
  return { dispatch: [Math.ceil(size / 64), 1, 1], workgroupSize: [64, 1, 1], size: true };
}

/** One uniform entry per value: tfjs lays out an entry of several values as a vector. */
export function scalarUniforms(type: 'int32' | 'float32', values: number[]): { type: string; data: number[] }[] {
  return values.map((v) => ({ type, data: [v] }));
}

/**
 * Puts the kernel that `make` builds in place of tfjs-backend-webgpu's kernel `name` (which `make`
 * receives, for the cases it leaves to it); once only: the replacement is marked, and a second
 * call (the backend registered again) finds it.
 */
export function replaceWebGpuKernel(tf: TF, name: string, make: (original: KernelConfig) => KernelFunc): void {
  const original = tf.getKernel(name, 'webgpu');
  if (!original || (original as { anchorless?: boolean }).anchorless) return;
  tf.unregisterKernel(name, 'webgpu');
  tf.registerKernel({ kernelName: name, backendName: 'webgpu', kernelFunc: make(original), anchorless: true } as KernelConfig);
}
