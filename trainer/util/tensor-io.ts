// Float32 tensors as typed arrays inside a kernel written in JavaScript, on the cpu backend (its own
// arrays) or the TensorFlow.js wasm backend (views of its heap): the fused Adam update and DCNv2's
// sampling kernels run the same loop on both.
import type { DataId, KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmBackend } from '../wasm-kernels/tfjs-wasm-io.js';

export interface TensorIo {
  /** A new float32 tensor of `shape` (zeros on cpu; uninitialised on wasm). */
  make(shape: number[]): TensorInfo;
  /**
   * Its values, read and written in place. On wasm a later make() may grow the heap and detach the
   * views taken before it: take views after every output is made.
   */
  view(t: TensorInfo): Float32Array;
}

export function cpuIo(backend: KernelBackend): TensorIo {
  return {
    make: (shape) => {
      const dataId: DataId = backend.write(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, 'float32');
      return { dataId, shape, dtype: 'float32' };
    },
    // the cpu backend keeps (and returns) the array it was given
    view: (t) => backend.readSync(t.dataId) as Float32Array,
  };
}

/** The io of the wasm backend `backend` (checked to be one: an Error naming `op` otherwise). */
export function wasmIo(op: string, backend: unknown): TensorIo {
  const b = wasmBackend(op, backend);
  return { make: (shape) => b.makeOutput(shape, 'float32'), view: (t) => b.typedArrayFromHeap(t) as Float32Array };
}
