// The parts of tfjs-backend-webgpu's program interface that the trainer's WebGPU kernels use (the
// package exports no type for them). A program is WGSL user code that tfjs wraps with bindings:
// each input as a storage array named by variableNames, `result` for the output, and a `uniforms`
// struct holding the shapes plus the program's own fields.
import type { TensorInfo } from '@tensorflow/tfjs-core';

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
  getUserCode(): string;
}
export interface WebGpuBackendLike {
  runWebGPUProgram(program: WebGpuProgram, inputs: TensorInfo[], dtype: string, uniforms?: { type: string; data: number[] }[]): TensorInfo;
  disposeData(dataId: object): void;
}

/** The dispatch of a program with one invocation per output element, in workgroups of 64. */
export function flatDispatch(size: number): Pick<WebGpuProgram, 'dispatch' | 'workgroupSize' | 'size'> {
  return { dispatch: [Math.ceil(size / 64), 1, 1], workgroupSize: [64, 1, 1], size: true };
}
