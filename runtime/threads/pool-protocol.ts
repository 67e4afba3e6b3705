// The worker pool's shared control block, read by the leader (pool.ts) and every helper
// (pool-helper.ts): one task at a time, described by one kernel export, its arguments, and how
// the arguments move per output row, so that any thread can run any chunk of rows. Threads claim
// chunks with an atomic counter: a thread the OS delays simply takes fewer.
// A task names an export of the main kernel module or, once the leader has loaded the int8 module
// and every helper has instantiated it too (KernelPool.attachInt8), of the int8 module.
import type { KernelExports } from '../wasm/exports.js';
import type { Int8Exports } from '../wasm/int8-exports.js';

/** The main module's kernels a task may name, by index (the same list on both sides of the pool). */
export const POOL_KERNELS = [
  'conv2dIgemm', 'conv2d1x1Gemm', 'conv2dWinograd', 'depthwiseConv2d', 'conv2dTransposeIgemm', 'conv2dTransposeDepthwise',
  'addF32', 'reluF32', 'affineChannelsNhwc', 'upsampleNearestNhwc', 'copyChannelsNhwc', 'maxPool2dNhwc', 'sigmoidF32',
] as const satisfies readonly (keyof KernelExports)[];

/** The int8 module's kernels a task may name (indexed after POOL_KERNELS). */
export const POOL_INT8_KERNELS = ['conv2dInt8Igemm', 'conv2dInt8IgemmC4', 'conv2dInt8Winograd', 'quantizeI16', 'quantizeU8', 'conv2dInt8IgemmPhase', 'conv2dInt8IgemmPhaseC4'] as const satisfies readonly (keyof Int8Exports)[];

export type PoolKernel = (typeof POOL_KERNELS)[number];
export type PoolInt8Kernel = (typeof POOL_INT8_KERNELS)[number];

/** Every kernel a task may name: its index here is what the control block carries. */
const TASK_KERNELS: readonly (PoolKernel | PoolInt8Kernel)[] = [...POOL_KERNELS, ...POOL_INT8_KERNELS];

/** The instances one thread runs tasks on: the main kernels, and the int8 kernels once attached. */
export interface PoolInstances {
  main: KernelExports;
  int8?: Int8Exports;
}

export function isInt8Kernel(fn: PoolKernel | PoolInt8Kernel): fn is PoolInt8Kernel {
  return (POOL_INT8_KERNELS as readonly string[]).includes(fn);
}

/** The export `fn` names on this thread's instances. */
export function poolKernel(on: PoolInstances, fn: PoolKernel | PoolInt8Kernel): (...args: number[]) => void {
  if (!isInt8Kernel(fn)) return on.main[fn] as (...args: number[]) => void;
  if (!on.int8) throw new Error(`kernel pool: ${fn} is an int8 kernel but this thread has no int8 module (a bug: please report it)`);
  return on.int8[fn] as (...args: number[]) => void;
}

/** A kernel call split by output rows (or any other index the arguments move linearly with). */
export interface RowTask<F extends PoolKernel | PoolInt8Kernel = PoolKernel | PoolInt8Kernel> {
  fn: F;
  /** The arguments for the whole call (rows 0 .. rows). */
  args: number[];
  rows: number;
  /** Index of the argument that receives a chunk's row count. */
  rowsArg: number;
  /** [argument index, change per row]: pointers advance, a top padding shrinks by the stride. */
  perRow: readonly (readonly [number, number])[];
  /** [argument index, bytes per thread]: a thread's own scratch lies at args[i] + thread * bytes. */
  scratch?: readonly [number, number];
  /** Chunks start at multiples of this many rows (a micro-kernel's tile of pixels); default 1. */
  align?: number;
  /**
   * How many chunks per thread the rows are cut into (the leader's choice; default 4): fewer for
   * a kernel that repeats work in every chunk, more balance for one that does not.
   */
  chunksPerThread?: number;
}

export const MAX_ARGS = 32;
export const GEN = 0;
export const PENDING = 1;
export const NEXT = 2;
export const FAILED = 3;
export const STOP = 4;
const FN = 5;
const ARGC = 6;
const ROWS = 7;
const ROWS_ARG = 8;
const GRAIN = 9;
const CHUNKS = 10;
const SCRATCH_ARG = 11;
const SCRATCH_STRIDE = 12;
const DELTAS = 13;
/** Set while the helpers are to return to their event loop, where a message waits for them (KernelPool.attachInt8). */
export const MESSAGE = 14;
const ARGS = 16;
const DELTA_PAIRS = ARGS + MAX_ARGS;
export const CONTROL_INTS = DELTA_PAIRS + 2 * MAX_ARGS;

/** Writes a task for the helpers to read (before the generation counter moves). */
export function writeTask(ctl: Int32Array, task: RowTask, grain: number, chunks: number): void {
  if (task.args.length > MAX_ARGS || task.perRow.length > MAX_ARGS) throw new Error(`kernel pool: ${task.fn} has too many arguments`);
  ctl[FN] = TASK_KERNELS.indexOf(task.fn);
  ctl[ARGC] = task.args.length;
  ctl[ROWS] = task.rows;
  ctl[ROWS_ARG] = task.rowsArg;
  ctl[GRAIN] = grain;
  ctl[CHUNKS] = chunks;
  ctl[SCRATCH_ARG] = task.scratch ? task.scratch[0] : -1;
  ctl[SCRATCH_STRIDE] = task.scratch ? task.scratch[1] : 0;
  ctl[DELTAS] = task.perRow.length;
  task.args.forEach((a, i) => (ctl[ARGS + i] = a));
  task.perRow.forEach(([i, d], j) => {
    ctl[DELTA_PAIRS + 2 * j] = i;
    ctl[DELTA_PAIRS + 2 * j + 1] = d;
  });
}

/** Runs chunks of the current task until none is left; returns the kernel's name (for errors). */
export function runChunks(on: PoolInstances, ctl: Int32Array, thread: number): PoolKernel | PoolInt8Kernel {
  const name = TASK_KERNELS[ctl[FN]];
  const fn = poolKernel(on, name);
  const argc = ctl[ARGC];
  const base = Array.from(ctl.subarray(ARGS, ARGS + argc));
  const rows = ctl[ROWS];
  const grain = ctl[GRAIN];
  const chunks = ctl[CHUNKS];
  const rowsArg = ctl[ROWS_ARG];
  const scratchArg = ctl[SCRATCH_ARG];
  const deltas = ctl[DELTAS];
  const args = base.slice();
  if (scratchArg >= 0) args[scratchArg] = (base[scratchArg] + thread * ctl[SCRATCH_STRIDE]) | 0;
  for (let c = Atomics.add(ctl, NEXT, 1); c < chunks; c = Atomics.add(ctl, NEXT, 1)) {
    const r0 = c * grain;
    for (let j = 0; j < deltas; j++) {
      const i = ctl[DELTA_PAIRS + 2 * j];
      args[i] = (base[i] + ctl[DELTA_PAIRS + 2 * j + 1] * r0) | 0;
    }
    args[rowsArg] = Math.min(grain, rows - r0);
    fn(...args);
  }
  return name;
}
