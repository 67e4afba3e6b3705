// The worker pool's shared control block, read by the leader (pool.ts) and every helper
// (pool-helper.ts): one task at a time, described by one kernel export, its arguments, and how
// the arguments move per output row, so that any thread can run any chunk of rows. Threads claim
// chunks with an atomic counter: a thread the OS delays simply takes fewer.
import type { KernelExports } from '../wasm/exports.js';

/** The kernels a task may name, by index (the same list on both sides of the pool). */
export const POOL_KERNELS = [
  'conv2dIgemm', 'conv2d1x1Gemm', 'depthwiseConv2d', 'conv2dTransposeIgemm', 'conv2dTransposeDepthwise',
  'addF32', 'reluF32', 'affineChannelsNhwc', 'upsampleNearestNhwc', 'copyChannelsNhwc', 'maxPool2dNhwc', 'sigmoidF32',
] as const satisfies readonly (keyof KernelExports)[];

export type PoolKernel = (typeof POOL_KERNELS)[number];

/** A kernel call split by output rows (or any other index the arguments move linearly with). */
export interface RowTask {
  fn: PoolKernel;
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
const ARGS = 16;
const DELTA_PAIRS = ARGS + MAX_ARGS;
export const CONTROL_INTS = DELTA_PAIRS + 2 * MAX_ARGS;

/** Writes a task for the helpers to read (before the generation counter moves). */
export function writeTask(ctl: Int32Array, task: RowTask, grain: number, chunks: number): void {
  if (task.args.length > MAX_ARGS || task.perRow.length > MAX_ARGS) throw new Error(`kernel pool: ${task.fn} has too many arguments`);
  ctl[FN] = POOL_KERNELS.indexOf(task.fn);
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
export function runChunks(ex: KernelExports, ctl: Int32Array, thread: number): PoolKernel {
  const name = POOL_KERNELS[ctl[FN]];
  const fn = ex[name] as (...args: number[]) => void;
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
