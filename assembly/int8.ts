// Entry point of the int8 kernel module (issue 13): the int8 convolution's quantise, pack and conv
// kernels, built apart from assembly/index.ts so that fp32-only users do not download them (each
// main .wasm stays within its 15 KB gzipped budget). The module imports the main module's memory
// (runtime/wasm/int8-loader.ts) and works on pointers from the main module's TypeScript allocator
// (runtime/wasm/heap.ts). It must hold no static data: a data segment would be copied over the main
// module's static data when it is instantiated (scripts/build-wasm.mjs refuses such a build), so
// no strings, no assertions (noAssert in asconfig.int8.json), no constant arrays.
// The TypeScript view of these exports is runtime/wasm/int8-exports.ts.
export { isRelaxedBuild } from './common/module';
export { quantizeI16, quantizeI16Scalar } from './elementwise/quantize-i16';
export { quantizeU8, quantizeU8Scalar } from './elementwise/quantize-u8';
export { int8GemmPackedBytes, packInt8GemmWeights, int8GemmPackedBytesC4, packInt8GemmWeightsC4 } from './conv/int8-pack';
export { conv2dInt8Igemm, conv2dInt8IgemmC4, conv2dInt8IgemmPhase, conv2dInt8IgemmPhaseC4, conv2dInt8IgemmScratchBytes } from './conv/conv2d-int8-igemm';
export { conv2dInt8Scalar } from './conv/conv2d-int8-scalar';
export { int8WinogradPackedBytes, packInt8WinogradWeights, conv2dInt8Winograd, conv2dInt8WinogradScratchBytes } from './conv/int8-winograd';

/** 1: tells the loader that this is the int8 module (the main module has no such export). */
export function isInt8Build(): i32 {
  return 1;
}
