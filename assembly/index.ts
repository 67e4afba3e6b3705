// Entry point of the kernel module: re-exports every kernel family. Memory is owned by the
// TypeScript side (runtime/wasm/heap.ts); kernels take byte pointers into linear memory and never
// allocate. Each family's TypeScript view of its exports is in runtime/wasm/exports.ts.
export { heapBase, isRelaxedBuild } from './common/module';
export { addF32, addF32Scalar } from './elementwise/add';
