// The TypeScript side owns all kernel memory: a first-fit free-list allocator over the kernel
// module's linear memory, 16-byte aligned (v128 loads), growing the memory when it runs out.
// Views are made fresh on every call because memory.grow detaches the old ArrayBuffer.

const ALIGN = 16;

interface Block {
  ptr: number;
  size: number;
}

export class WasmHeap {
  private readonly free: Block[] = [];
  private readonly used = new Map<number, number>();
  private top: number;

  constructor(
    private readonly memory: WebAssembly.Memory,
    heapBase: number,
  ) {
    this.top = alignUp(heapBase);
  }

  /** Allocates `bytes` (>= 1) and returns a 16-byte aligned pointer. */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new Error(`heap.alloc: size must be a non-negative integer, got ${bytes}`);
    const size = alignUp(Math.max(bytes, 1));
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i];
      if (block.size < size) continue;
      const ptr = block.ptr;
      if (block.size === size) this.free.splice(i, 1);
      else {
        block.ptr += size;
        block.size -= size;
      }
      this.used.set(ptr, size);
      return ptr;
    }
    const ptr = this.top;
    const end = ptr + size;
    if (end > 0xffff_0000) throw new Error(`heap.alloc: ${bytes} bytes do not fit in 4 GiB of wasm memory`);
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
    this.top = end;
    this.used.set(ptr, size);
    return ptr;
  }

  /** Frees a pointer returned by alloc; adjacent free blocks are merged. */
  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) throw new Error(`heap.release: ${ptr} is not an allocated pointer`);
    this.used.delete(ptr);
    if (ptr + size === this.top) {
      this.top = ptr;
      // the block now at the top of the free list may also be returned to the top
      const last = this.free[this.free.length - 1];
      if (last && last.ptr + last.size === this.top) {
        this.top = last.ptr;
        this.free.pop();
      }
      return;
    }
    let i = 0;
    while (i < this.free.length && this.free[i].ptr < ptr) i++;
    this.free.splice(i, 0, { ptr, size });
    // merge with the next, then with the previous block
    const next = this.free[i + 1];
    if (next && ptr + size === next.ptr) {
      this.free[i].size += next.size;
      this.free.splice(i + 1, 1);
    }
    const prev = this.free[i - 1];
    if (prev && prev.ptr + prev.size === ptr) {
      prev.size += this.free[i].size;
      this.free.splice(i, 1);
    }
  }

  /** Bytes currently allocated (for leak checks in tests and benchmarks). */
  get allocatedBytes(): number {
    let total = 0;
    for (const size of this.used.values()) total += size;
    return total;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }

  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }

  /** Allocates and fills a Float32Array copy of `src`. */
  allocF32(src: ArrayLike<number>): number {
    const ptr = this.alloc(src.length * 4);
    this.f32(ptr, src.length).set(src);
    return ptr;
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
