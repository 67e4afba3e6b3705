// Decoding raw head outputs into detections, and the test-time merging around it.
export type { Box, Detection } from './boxes.js';
export { boxesToArray, toXywh } from './boxes.js';
export type { Layout } from './layout.js';
export { decodeCenterNet, type CenterNetHeads, type CenterNetDecodeOptions } from './centernet.js';
export { decodeCornerNet, type CornerNetHeads, type CornerNetDecodeOptions } from './cornernet.js';
export { cornerNetPostprocess, type PostprocessOptions } from './postprocess.js';
export { averageWithFlipped, mirrorDetections } from './flip.js';
