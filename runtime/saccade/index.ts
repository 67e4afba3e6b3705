// CornerNet-Saccade behind ObjectDetector.detect: which models run the saccade procedure, and the
// glue from a detector's execution plan to the procedure (pipeline.ts).
import type { Detection } from '../decode/boxes.js';
import { checkImage, type ImageInput } from '../image/source.js';
import type { Normalisation } from '../image/warp.js';
import { decodeSettings, type ModelConfig } from '../model/config.js';
import type { Tensor } from '../ops/tensor.js';
import { saccadeDetect } from './pipeline.js';
import { saccadeSettingsFor } from './settings.js';

export { saccadeDetect, type SaccadeNetwork, type SaccadeOptions } from './pipeline.js';
export { SACCADE_SETTINGS, saccadeSettingsFor, type SaccadeSettings } from './settings.js';

export { SACCADE_HEAD_TYPE, isSaccadeModel } from './kind.js';

/**
 * Runs the saccade procedure with a detector's network: `input` is the plan's input buffer
 * ([1, h, w, 3] NHWC), `forward` runs the plan on it and returns every head. Boxes in image pixels.
 */
export function detectSaccade(
  image: ImageInput,
  config: ModelConfig,
  net: { inputShape: readonly number[]; input: () => Float32Array; forward: () => Record<string, Tensor> },
  normalisation: Normalisation,
): Detection[] {
  const src = checkImage('ObjectDetector.detect', image);
  const [, inputHeight, inputWidth] = net.inputShape;
  const d = decodeSettings(config);
  return saccadeDetect(src, { inputWidth, inputHeight, input: net.input, run: net.forward }, {
    normalisation,
    decode: { k: d.k, kernel: d.kernel, aeThreshold: d.aeThreshold ?? 0.3, numDets: d.numDets ?? 12, pairScore: d.pairScore },
    settings: saccadeSettingsFor(Math.min(inputWidth, inputHeight)),
  });
}
