// Where a kernel call splits across the pool's threads: with a pool (the worker's shared-memory
// kernels) the rows are shared out; without one, the same call runs whole on this thread.
import type { Kernels } from '../wasm/loader.js';
import type { Int8Kernels } from '../wasm/int8-loader.js';
import type { PoolInt8Kernel, PoolKernel, RowTask } from './pool-protocol.js';

/** Runs `task`; `work` (multiply-adds or element visits) decides whether splitting pays. */
export function runRows(k: Kernels, task: RowTask<PoolKernel>, work: number): void {
  if (k.pool) k.pool.run(task, work);
  else (k.exports[task.fn] as (...args: number[]) => void)(...task.args);
}

/**
 * runRows for a kernel of the int8 module: split when the pool's helpers hold this very int8
 * instance (int8-loader.ts attaches it to the pool when it loads), else whole on this thread.
 */
export function runInt8Rows(k8: Int8Kernels, task: RowTask<PoolInt8Kernel>, work: number): void {
  const pool = k8.base.pool;
  if (pool && pool.int8 === k8.exports) pool.run(task, work);
  else (k8.exports[task.fn] as (...args: number[]) => void)(...task.args);
}

/** Bytes per thread of a scratch area (16-byte aligned, as the allocator's blocks). */
export function scratchStride(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/** Threads that may each need their own scratch. */
export function poolThreads(k: Kernels): number {
  return k.pool?.threads ?? 1;
}
