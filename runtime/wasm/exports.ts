// The kernel module's exports as the TypeScript side sees them. Pointers are byte offsets into
// `memory`; counts and sizes are element counts. Keep in step with assembly/index.ts (the kernel
// tests call every export listed here on both builds, so a drift fails there).
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  isRelaxedBuild(): number;
  addF32(a: number, b: number, out: number, n: number, relu: number): void;
  addF32Scalar(a: number, b: number, out: number, n: number, relu: number): void;
}
