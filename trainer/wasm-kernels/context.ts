// What every native training kernel needs: the tfjs namespace (for its geometry helpers), our
// loaded kernel module, and the grow-only buffers the calls share.
import type { Kernels } from '../../runtime/wasm/loader.js';
import type { TF } from '../backend.js';
import type { GrowBuffers } from './scratch.js';

export interface NativeContext {
  tf: TF;
  k: Kernels;
  bufs: GrowBuffers;
}

/** Float count of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
