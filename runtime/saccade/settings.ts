// The settings of CornerNet-Saccade's test procedure, as the official code has them
// (core/dbs/detection.py defaults overridden by configs/CornerNet_Saccade.json; the numbers used
// inside core/test/cornernet_saccade.py named here). The corner decode (top_k 12, num_dets 12,
// ae_threshold 0.3, nms_kernel 3) comes from the model config's decode settings.

export interface SaccadeSettings {
  /** Side of the square network input the image and every crop are drawn into (input_size 255). */
  cropSize: number;
  /** The first pass: the whole image downsized so its longer side is each of these (init_sizes). */
  initSizes: number[];
  /** Per round of crops: attention maps above this (after sigmoid and NMS) are locations (att_thresholds). */
  attThresholds: number[];
  /** Per round, per attention level (deepest first): zoom of a crop at a location found there (att_scales). */
  attScales: number[][];
  /** Max-pool window of the NMS on each attention level (att_nms_ks). */
  attNmsKernels: number[];
  /** At most this many crops over all rounds (att_max_crops). */
  maxCrops: number;
  /** Also zoom into the first pass's confident detections (ref_dets). */
  refDets: boolean;
  /** get_locs keeps first-pass detections scoring above this. */
  firstPassScore: number;
  /** get_ref_locs: detections above this score become locations. */
  refScore: number;
  /** location_nms(thresh=16): locations closer than this / scale (in x or y) at a similar scale merge. */
  locationNmsDistance: number;
  /** decode_atts: no location from a view already zoomed more than this, or zooming past maxZoom. */
  maxViewScale: number;
  maxZoom: number;
  /** The final merge: Gaussian soft-NMS per class (nms_algorithm exp_soft_nms, sigma 0.7, Nt nms_threshold 0.5). */
  nmsSigma: number;
  nmsThreshold: number;
  /** max_per_image. */
  maxPerImage: number;
}

export const SACCADE_SETTINGS: Readonly<SaccadeSettings> = Object.freeze({
  cropSize: 255,
  initSizes: [192, 255],
  attThresholds: [0.3],
  attScales: [[1, 2, 4]],
  attNmsKernels: [3, 3, 3],
  maxCrops: 30,
  refDets: true,
  firstPassScore: 0.3,
  refScore: 0.5,
  locationNmsDistance: 16,
  maxViewScale: 2,
  maxZoom: 4,
  nmsSigma: 0.7,
  nmsThreshold: 0.5,
  maxPerImage: 100,
});

/**
 * The settings for a network whose input side is `inputSide`: the official ones at 255 or 256
 * (the crop is 255, drawn into the top-left of a 256 input); for a smaller (test) network the
 * crop is its input side (less 1 when even, the official 128k - 1 form) and the first pass's
 * sizes shrink in proportion (192 / 255 and the full crop).
 */
export function saccadeSettingsFor(inputSide: number): SaccadeSettings {
  const cropSize = inputSide % 2 === 0 ? inputSide - 1 : inputSide;
  const s = SACCADE_SETTINGS;
  if (cropSize === s.cropSize) return { ...s, initSizes: [...s.initSizes], attThresholds: [...s.attThresholds], attScales: s.attScales.map((a) => [...a]), attNmsKernels: [...s.attNmsKernels] };
  return {
    ...saccadeSettingsFor(s.cropSize + 1),
    cropSize,
    initSizes: s.initSizes.map((size) => Math.round((size * cropSize) / s.cropSize)),
  };
}
