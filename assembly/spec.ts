// Entry point of the scalar-spec module: the plain scalar kernels that define what the main module's
// SIMD kernels (assembly/index.ts) compute, for the tests and benchmarks that run a kernel and its
// spec on the same buffers (test/helpers/spec-kernels.ts). Built apart, into test/wasm/ (not
// shipped), so that no user downloads them: in the main module they took ~1.4 KB of its 15 KB
// gzipped budget. Like the int8 module, it imports the main module's memory and holds no static data
// (scripts/build-wasm.mjs refuses a build that has any), so it works on the main heap's pointers.
// That is why asconfig.spec.json compiles it at shrink level 1: at level 0 the standard library's
// Mathf.exp (the exp and sigmoid specs) is the lookup-table variant, whose table is a data segment;
// at level 1 it is the table-free one (also within 1 ulp, as the specs' tests require).
// The scalar kernels that runtime code calls (conv2dScalar and the other convs' fallbacks) stay in
// the main module.
export { addF32Scalar } from './elementwise/add';
export { expF32Scalar } from './elementwise/exp';
export { sigmoidF32Scalar } from './elementwise/sigmoid';
export { reluF32Scalar } from './elementwise/relu';
export { upsampleNearestNhwcScalar } from './elementwise/upsample';
export { copyChannelsNhwcScalar } from './elementwise/concat';
export { affineChannelsNhwcScalar } from './elementwise/affine';
export { maxPool2dNhwcScalar } from './pool/maxpool-scalar';
export { cornerPoolNhwcScalar, cornerPoolPairAddNhwcScalar } from './pool/corner-scalar';
export { topKF32Scalar } from './select/topk-scalar';
export { peaksMaskNhwcScalar } from './select/peaks-scalar';
export { nmsF32Scalar } from './select/nms-scalar';
export { softNmsF32Scalar } from './select/softnms-scalar';
