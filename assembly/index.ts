// Entry point of the kernel module: re-exports every kernel. Memory is owned by the TypeScript side
// (runtime/wasm/memory.ts); kernels take byte pointers into linear memory and never allocate.
export { heapBase, isRelaxedBuild } from './common/module';
export { addF32, addF32Scalar } from './elementwise/add';
