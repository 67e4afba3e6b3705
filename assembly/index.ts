// Entry point of the kernel module: re-exports every kernel family. Memory is owned by the
// TypeScript side (runtime/wasm/heap.ts); kernels take byte pointers into linear memory and never
// allocate. Each family's TypeScript view of its exports is in runtime/wasm/exports.ts. Kernels
// only training runs (weight and depthwise input gradients) are in the training module (train.ts);
// the scalar specs that only tests and benchmarks call are in the spec module (spec.ts).
export { heapBase, isRelaxedBuild } from './common/module';
export { addF32 } from './elementwise/add';
export { expF32 } from './elementwise/exp';
export { sigmoidF32 } from './elementwise/sigmoid';
export { reluF32 } from './elementwise/relu';
export { upsampleNearestNhwc } from './elementwise/upsample';
export { copyChannelsNhwc } from './elementwise/concat';
export { affineChannelsNhwc } from './elementwise/affine';
export { bnFoldF32 } from './elementwise/bn-fold';
export { decodeF16 } from './elementwise/f16';
export { warpNormaliseU8 } from './elementwise/warp';
export { maxPool2dNhwc } from './pool/maxpool-simd';
export { cornerPoolNhwc, cornerPoolPairAddNhwc } from './pool/corner-simd';
export { topKF32 } from './select/topk-simd';
export { heatmapPeaksNhwc, peaksMaskNhwc } from './select/peaks-simd';
export { heatmapPeaksLogitsNhwc } from './select/peaks-logits-simd';
export { nmsF32 } from './select/nms-simd';
export { softNmsF32 } from './select/softnms-simd';
export { conv2dScalar } from './conv/conv2d-scalar';
export { conv2d1x1Gemm } from './conv/conv2d-1x1-gemm';
export { conv2dIgemm, conv2dIgemmScratchBytes } from './conv/conv2d-igemm';
export { conv2dWinograd, conv2dWinogradScratchBytes, packWinogradWeights, winogradPackedFloats } from './conv/winograd';
export { depthwiseConv2d } from './conv/depthwise';
export { gemmPackedFloats, packGemmWeights, deconvPackedFloats, packDeconvWeights, packDepthwiseWeights } from './conv/pack';
export { conv2dTransposeScalar } from './conv/conv2d-transpose-scalar';
export { conv2dTransposeIgemm, conv2dTransposeScratchBytes } from './conv/conv2d-transpose';
export { conv2dTransposeGroupedScalar } from './conv/conv2d-transpose-grouped-scalar';
export { conv2dTransposeDepthwise } from './conv/conv2d-transpose-grouped';
export { deformConv2dScalar } from './conv/deform-conv2d-scalar';
export { deformConv2dGemm, deformConv2dGemmScratchBytes } from './conv/deform-conv2d';
