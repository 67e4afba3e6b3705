// Moves tensors between the TensorFlow.js wasm backend's memory (its own WebAssembly instance) and
// our kernel heap: inputs are read through a view of its heap (no intermediate JS copy), outputs
// are allocated by the backend (makeOutput, as its own kernels do) and filled from our heap.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { Kernels } from '../../runtime/wasm/loader.js';
import type { GrowBuffers } from './scratch.js';

/** The part of @tensorflow/tfjs-backend-wasm's BackendWasm these kernels use. */
export interface WasmBackendIo {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The backend a kernel was called with, checked to be the tfjs wasm backend. */
export function wasmBackend(op: string, backend: unknown): WasmBackendIo {
  const b = backend as Partial<WasmBackendIo> | null;
  if (!b || typeof b.makeOutput !== 'function' || typeof b.typedArrayFromHeap !== 'function') {
    throw new Error(`${op}: this kernel runs only on the TensorFlow.js wasm backend`);
  }
  return b as WasmBackendIo;
}

/** Copies float32 tensor `t` (argument `name`) into our heap buffer `role`; returns the pointer. */
export function copyIn(op: string, name: string, backend: WasmBackendIo, t: TensorInfo | undefined, bufs: GrowBuffers, role: string): number {
  if (!t) throw new Error(`${op}: input ${name} is missing`);
  if (t.dtype !== 'float32') throw new Error(`${op}: ${name} must be float32, got ${t.dtype}`);
  const src = backend.typedArrayFromHeap(t) as Float32Array;
  const ptr = bufs.get(role, src.length * 4);
  bufs.kernels.heap.f32(ptr, src.length).set(src);
  return ptr;
}

/** A new float32 tensor of `shape` on the wasm backend holding the floats at our heap's `ptr`. */
export function copyOut(backend: WasmBackendIo, k: Kernels, shape: number[], ptr: number): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  dst.set(k.heap.f32(ptr, dst.length));
  return out;
}

/** A new float32 tensor of `shape` filled with zeros (gradients of empty convolutions). */
export function zerosOut(backend: WasmBackendIo, shape: number[]): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  backend.typedArrayFromHeap(out).fill(0);
  return out;
}
