// Test-time image handling: input checks, preprocessing into the network input, the transform back.
export type { ImageInput } from './source.js';
export { preprocessCenterNet, preprocessCornerNet, type Preprocessed, type CenterNetPreprocessOptions, type CornerNetPreprocessOptions } from './preprocess.js';
export { boxToInput, boxToOriginal, centerNetTransform, paddedTransform, type ImageTransform, type PaddedSize } from './transform.js';
export { flipHorizontal } from './flip.js';
