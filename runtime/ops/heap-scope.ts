// Scoped kernel memory for the ops wrappers: every buffer an op allocates is released when the op
// returns or throws, and pointer-level entry points check that the buffers they are given lie
// inside linear memory before a kernel touches them.
import type { Kernels } from '../wasm/loader.js';

export class HeapScope {
  private readonly ptrs: number[] = [];

  constructor(readonly kernels: Kernels) {}

  /** `bytes` of uninitialised kernel memory, 16-byte aligned. */
  alloc(bytes: number): number {
    const ptr = this.kernels.heap.alloc(bytes);
    this.ptrs.push(ptr);
    return ptr;
  }

  /** A kernel-memory copy of `src`. */
  f32(src: Float32Array): number {
    const ptr = this.alloc(src.length * 4);
    this.kernels.heap.f32(ptr, src.length).set(src);
    return ptr;
  }

  /** A JS-owned copy of `length` floats at ptr (views go stale when memory grows, copies do not). */
  readF32(ptr: number, length: number): Float32Array {
    return this.kernels.heap.f32(ptr, length).slice();
  }

  readI32(ptr: number, length: number): Int32Array {
    return this.kernels.heap.i32(ptr, length).slice();
  }

  release(): void {
    while (this.ptrs.length > 0) this.kernels.heap.release(this.ptrs.pop()!);
  }
}

/** Runs fn with a scope whose allocations are released afterwards, whatever happens. */
export function withScope<T>(kernels: Kernels, fn: (scope: HeapScope) => T): T {
  const scope = new HeapScope(kernels);
  try {
    return fn(scope);
  } finally {
    scope.release();
  }
}

/** Throws unless [ptr, ptr + bytes) is inside the kernels' linear memory (and ptr is 4-byte aligned). */
export function checkBuffer(op: string, name: string, kernels: Kernels, ptr: number, bytes: number): void {
  if (!Number.isInteger(ptr) || ptr < 0 || ptr % 4 !== 0) throw new Error(`${op}: ${name} must be a 4-byte aligned pointer, got ${ptr}`);
  const size = kernels.exports.memory.buffer.byteLength;
  if (ptr + bytes > size) throw new Error(`${op}: ${name} [${ptr}, ${ptr + bytes}) is outside kernel memory (${size} bytes)`);
}
