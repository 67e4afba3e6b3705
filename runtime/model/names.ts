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

/**
 * The names the official models' forward gives each head's output (what `detector.infer` returns
 * and the published case files hold): CenterNet's ctdet dict keys; CornerNet's module lists
 * (`tl_heats`, ...). CornerNet-Lite calls the offsets `tl_offs`/`br_offs`: such a model sets
 * `outputNames` in its config. A head missing here keeps its own name (e.g. extra heads whose
 * graph name already is the official one, like CornerNet-Saccade's `atts.0`).
 */
export const OFFICIAL_OUTPUT_NAMES: Record<Detector, Readonly<Record<string, string>>> = {
  centernet: {
    [CENTERNET_HEADS.heatmap]: 'hm',
    [CENTERNET_HEADS.size]: 'wh',
    [CENTERNET_HEADS.offset]: 'reg',
  },
  cornernet: {
    [CORNERNET_HEADS.tlHeatmap]: 'tl_heats',
    [CORNERNET_HEADS.brHeatmap]: 'br_heats',
    [CORNERNET_HEADS.tlEmbedding]: 'tl_tags',
    [CORNERNET_HEADS.brEmbedding]: 'br_tags',
    [CORNERNET_HEADS.tlOffset]: 'tl_regrs',
    [CORNERNET_HEADS.brOffset]: 'br_regrs',
  },
};

/** CornerNet-Lite's offset names (its CornerNet, Squeeze and Saccade models): the importer sets these. */
export const CORNERNET_LITE_OUTPUT_NAMES: Readonly<Record<string, string>> = {
  [CORNERNET_HEADS.tlOffset]: 'tl_offs',
  [CORNERNET_HEADS.brOffset]: 'br_offs',
};

/** Head -> output name for every given head: the config's names over the detector's defaults over the head's own. */
export function outputNamesOf(detector: Detector, heads: readonly string[], overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  const defaults = OFFICIAL_OUTPUT_NAMES[detector];
  const own = (table: Readonly<Record<string, string>>, head: string) => (Object.prototype.hasOwnProperty.call(table, head) ? table[head] : undefined);
  return Object.fromEntries(heads.map((head) => [head, own(overrides, head) ?? own(defaults, head) ?? head]));
}
