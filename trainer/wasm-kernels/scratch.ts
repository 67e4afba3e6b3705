// Grow-only buffers in our kernel heap, one per role (x copy, dy copy, result, packed weights,
// kernel scratch), shared by every training kernel call: a training step repeats the same shapes,
// so after the first step the kernels allocate nothing.
import type { Kernels } from '../../runtime/wasm/loader.js';

interface Slot {
  ptr: number;
  bytes: number;
}

export class GrowBuffers {
  private readonly slots = new Map<string, Slot>();

  constructor(readonly kernels: Kernels) {}

  /**
   * A 16-byte aligned pointer to at least `bytes` bytes for `role`, reallocated only when a larger
   * size is asked (the old contents are dropped). Kernel memory may grow here: make views after.
   */
  get(role: string, bytes: number): number {
    const slot = this.slots.get(role);
    if (slot && slot.bytes >= bytes) return slot.ptr;
    const heap = this.kernels.heap;
    if (slot) {
      heap.release(slot.ptr);
      this.slots.delete(role);
    }
    // Round up so that slowly growing shapes do not reallocate every call.
    const size = Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1))));
    const ptr = heap.alloc(size);
    this.slots.set(role, { ptr, bytes: size });
    return ptr;
  }

  /** Bytes held across all roles. */
  get heldBytes(): number {
    let total = 0;
    for (const s of this.slots.values()) total += s.bytes;
    return total;
  }

  /** Frees every buffer (the next call allocates again). */
  releaseAll(): void {
    for (const s of this.slots.values()) this.kernels.heap.release(s.ptr);
    this.slots.clear();
  }
}
