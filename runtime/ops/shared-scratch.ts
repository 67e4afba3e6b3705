// One scratch area per kernel instance, shared by every packed layer whose kernel needs a large one
// (the Winograd convs' transformed planes: ~2 MB a pool thread). Kernel calls on one instance run
// one at a time, so the layers can share it instead of holding ~2 MB each. It is sized when a layer
// is packed (kernel memory grows then, never during a run) and freed with the last layer using it.
import type { Kernels } from '../wasm/loader.js';

interface Area {
  ptr: number;
  bytes: number;
  users: number;
}

const areas = new WeakMap<Kernels, Area>();

/** Takes a share of the instance's scratch area and makes it at least `bytes` long. */
export function holdSharedScratch(k: Kernels, bytes: number): void {
  const area = areas.get(k);
  if (!area) {
    areas.set(k, { ptr: k.heap.alloc(bytes), bytes, users: 1 });
    return;
  }
  if (area.bytes < bytes) {
    // nothing lives in it between calls: a larger block replaces it
    const ptr = k.heap.alloc(bytes);
    k.heap.release(area.ptr);
    area.ptr = ptr;
    area.bytes = bytes;
  }
  area.users++;
}

/** The area's address (valid until the next holdSharedScratch or the last release). */
export function sharedScratch(k: Kernels): number {
  const area = areas.get(k);
  if (!area) throw new Error('anchorless: no shared scratch is held on this kernel instance (a bug: please report it)');
  return area.ptr;
}

/** Gives back one share; the last one frees the area. */
export function releaseSharedScratch(k: Kernels): void {
  const area = areas.get(k);
  if (!area) return;
  if (--area.users === 0) {
    k.heap.release(area.ptr);
    areas.delete(k);
  }
}
