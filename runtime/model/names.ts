// Head and format names, defined once: the trainer's losses, the runtime's decode, the weight
// file and the model builders all refer to these constants, never to string literals.

/** The `format` field of every model config this version reads and writes. */
export const MODEL_FORMAT = 'anchorless-model/1';

export type Detector = 'centernet' | 'cornernet';
export const DETECTORS: readonly Detector[] = ['centernet', 'cornernet'];

/**
 * CenterNet's heads (the official ctdet names): center heatmap (C logits), box size (w, h in
 * feature-map pixels), center offset (x, y).
 */
export const CENTERNET_HEADS = {
  heatmap: 'hm',
  size: 'wh',
  offset: 'reg',
} as const;

/**
 * CornerNet's heads (the official names): per corner a heatmap (C logits), a 1-D embedding ("tag")
 * and an offset (x, y).
 */
export const CORNERNET_HEADS = {
  tlHeatmap: 'tl_heat',
  brHeatmap: 'br_heat',
  tlEmbedding: 'tl_tag',
  brEmbedding: 'br_tag',
  tlOffset: 'tl_regr',
  brOffset: 'br_regr',
} as const;

/** Output channels of every head of a detector, in the official output order. */
export function headChannels(detector: Detector, numClasses: number): Record<string, number> {
  if (detector === 'centernet') {
    return { [CENTERNET_HEADS.heatmap]: numClasses, [CENTERNET_HEADS.size]: 2, [CENTERNET_HEADS.offset]: 2 };
  }
  return {
    [CORNERNET_HEADS.tlHeatmap]: numClasses,
    [CORNERNET_HEADS.brHeatmap]: numClasses,
    [CORNERNET_HEADS.tlEmbedding]: 1,
    [CORNERNET_HEADS.brEmbedding]: 1,
    [CORNERNET_HEADS.tlOffset]: 2,
    [CORNERNET_HEADS.brOffset]: 2,
  };
}
