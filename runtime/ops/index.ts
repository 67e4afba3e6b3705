// The public `ops` namespace (DESIGN.md): thin, validating wrappers around the wasm kernels.
export type { Tensor } from './tensor.js';
export { maxPool2d, cornerPool } from './pooling.js';
export type { MaxPoolOptions, CornerDirection } from './pooling.js';
export { heatmapPeaks, topK, nms, softNms } from './select.js';
export type { Peaks, PeaksOptions, TopK, NmsOptions, SoftNmsMethod, SoftNmsOptions, SoftNmsResult } from './select.js';
// not in DESIGN's list: the decodes turn logits into probabilities with it
export { sigmoid } from './elementwise.js';
