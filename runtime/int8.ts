// `anchorless/int8`: int8 inference beyond what ObjectDetector does by itself (it runs a quantised
// model file as it is). Post-training quantisation of a model file, the int8 kernels (a wasm
// module of their own on the f32 kernels' memory) and the pointer-level int8 conv and transposed-conv ops.
// A subpath of its own so that the main entry, and the bundle of an f32 model's page, carry none of it.
export { quantizeModel, type QuantizeOptions, type QuantizeResult } from './quantize/quantize-model.js';
export { loadInt8Kernels, type Int8Kernels, type LoadInt8Options, type Int8Build } from './wasm/int8-loader.js';
export { int8Eligible, type Int8Layer, type Int8Node } from './weights/int8-model.js';
export { packConv2dInt8, conv2dInt8Into, conv2dInt8OutputShape, quantizeActivationsInto, int8ActivationBytes, MAX_INT8_REDUCTION } from './ops/conv-int8.js';
export type { PackedConv2dInt8, PackConv2dInt8Options, Conv2dInt8IntoOptions, Int8ConvLayout } from './ops/conv-int8.js';
export { packConv2dTransposeInt8, conv2dTransposeInt8Into, conv2dTransposeInt8OutputShape, int8TransposeFits } from './ops/conv-transpose-int8.js';
export type { PackedConv2dTransposeInt8, PackConv2dTransposeInt8Options, Conv2dTransposeInt8IntoOptions } from './ops/conv-transpose-int8.js';
export { quantizeConvWeights, quantizeDeconvWeights, activationQuant, int8ChannelStride } from './ops/int8-quant.js';
export type { ActivationQuant, ActivationCodes, Int8ConvWeights } from './ops/int8-quant.js';
export { int8LayoutFor, type Int8LayoutChoice } from './engine/int8-layout.js';
export { int8BaseKernels, fasterInt8Kernels, type Int8BaseKernels } from './engine/int8-kernels.js';
