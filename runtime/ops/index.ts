// The public `ops` namespace (DESIGN.md): thin, validating wrappers around the wasm kernels.
export type { Tensor } from './tensor.js';
export { maxPool2d, cornerPool } from './pooling.js';
export type { MaxPoolOptions, CornerDirection } from './pooling.js';
export { heatmapPeaks, topK, nms, softNms } from './select.js';
export type { Peaks, PeaksOptions, TopK, NmsOptions, SoftNmsMethod, SoftNmsOptions, SoftNmsResult } from './select.js';
// not in DESIGN's list: the decodes turn logits into probabilities with it
export { sigmoid } from './elementwise.js';
export { conv2d, conv2dTranspose } from './conv.js';
export type { Conv2dOptions, Conv2dTransposeOptions } from './conv.js';
// pointer level, for the execution plan and the trainer's wasm backend (not in DESIGN's list)
export {
  packConv2d, conv2dInto, conv2dOutputShape, chooseConvKernel, winogradFits,
  packConv2dTranspose, conv2dTransposeInto, conv2dTransposeOutputShape,
} from './conv-packed.js';
export type { PackedConv2d, PackConv2dOptions, Conv2dIntoOptions, FastConvKernel, PackedConv2dTranspose, Conv2dTransposeIntoOptions } from './conv-packed.js';
export { deformConv2d, packDeformConv2d, deformConv2dInto, deformConv2dOutputShape } from './deform-conv.js';
// the packers' weights: f32 values, or an F16 file's half bits (decoded as they are packed)
export { HalfFloats, type WeightData } from '../weights/half-floats.js';
export type { StagingArea } from './stage-weights.js';
export type { DeformConv2dOptions, DeformConv2dIntoOptions, PackedDeformConv2d } from './deform-conv.js';
