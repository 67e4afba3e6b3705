// Kernel memory owned by packed weights (conv, transposed conv, deformable conv): the weights
// block and an optional second block (scratch or bias; 0 when none), released once. check()
// refuses packed weights used after release() or with another kernel instance than they live in.
import type { Kernels } from '../wasm/loader.js';

export abstract class PackedMemory {
  private live = true;

  constructor(
    protected readonly k: Kernels,
    readonly ptr: number,
    readonly scratch: number,
  ) {}

  check(op: string, k: Kernels): void {
    if (!this.live) throw new Error(`${op}: the packed weights have been released`);
    if (k !== this.k) throw new Error(`${op}: the packed weights live in another kernel instance (pack again after init() loads a new one)`);
  }

  release(): void {
    if (!this.live) return;
    this.live = false;
    this.k.heap.release(this.ptr);
    if (this.scratch) this.k.heap.release(this.scratch);
    this.onRelease?.();
  }

  /** Anything else the packed weights hold, given back once on release(). */
  protected onRelease?: () => void;
}
