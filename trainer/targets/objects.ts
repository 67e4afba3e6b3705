// The objects of one training image as the target builders take them, and their checks.

/** `[x1, y1, x2, y2]`, continuous pixel coordinates of the network input (after augmentation). */
export type Box = readonly [number, number, number, number];

export interface TargetObjects {
  boxes: readonly Box[];
  /** 0-based class (heatmap channel) per box. */
  classIds: readonly number[];
  /** COCO crowd regions: never targets. Default: none. */
  iscrowd?: readonly boolean[];
  /**
   * Per box, the share of its area left inside the input after augmentation (1: the crop cut
   * nothing off). Only CornerNet-Saccade's targets read it. Default: 1 for every box.
   */
  visible?: readonly number[];
}

export interface TargetGeometry {
  /** [height, width] of the network input the boxes are in. */
  inputSize: readonly [number, number];
  /** [height, width] of the head outputs (input / stride). */
  outputSize: readonly [number, number];
  numClasses: number;
  /** Object slots per image (the official max_objs / max_tag_len); default 128. */
  maxObjs?: number;
}

export const DEFAULT_MAX_OBJS = 128;

/** Checks the objects and the geometry; errors name `who` and the offending field. */
export function checkTargetInput(who: string, objects: TargetObjects, g: TargetGeometry): void {
  const [ih, iw] = g.inputSize;
  const [oh, ow] = g.outputSize;
  for (const [name, v] of [['inputSize', ih], ['inputSize', iw], ['outputSize', oh], ['outputSize', ow]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${who}: ${name} must be positive integers, got [${name === 'inputSize' ? g.inputSize : g.outputSize}]`);
  }
  if (!Number.isInteger(g.numClasses) || g.numClasses < 1) throw new Error(`${who}: numClasses must be a positive integer, got ${g.numClasses}`);
  const maxObjs = g.maxObjs ?? DEFAULT_MAX_OBJS;
  if (!Number.isInteger(maxObjs) || maxObjs < 1) throw new Error(`${who}: maxObjs must be a positive integer, got ${maxObjs}`);
  const n = objects.boxes.length;
  if (objects.classIds.length !== n) throw new Error(`${who}: ${n} boxes but ${objects.classIds.length} classIds`);
  if (objects.iscrowd && objects.iscrowd.length !== n) throw new Error(`${who}: ${n} boxes but ${objects.iscrowd.length} iscrowd flags`);
  if (objects.visible && objects.visible.length !== n) throw new Error(`${who}: ${n} boxes but ${objects.visible.length} visible shares`);
  for (let k = 0; k < n; k++) {
    const b = objects.boxes[k];
    if (b.length !== 4 || !b.every(Number.isFinite)) throw new Error(`${who}: boxes[${k}] must be 4 finite numbers [x1, y1, x2, y2], got [${b}]`);
    const c = objects.classIds[k];
    if (!Number.isInteger(c) || c < 0 || c >= g.numClasses) throw new Error(`${who}: classIds[${k}] must be an integer in [0, ${g.numClasses}), got ${c}`);
    const v = objects.visible?.[k];
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new Error(`${who}: visible[${k}] must be a share in [0, 1], got ${v}`);
  }
}

/**
 * A box clipped to the pixel indices [0, iw - 1] x [0, ih - 1] of an input (or image) of
 * [ih, iw] (the official _clip_detections / clip_detections), or undefined when nothing of it is
 * left (no area).
 */
export function clipToInput(box: Box, inputSize: readonly [number, number]): Box | undefined {
  const [ih, iw] = inputSize;
  const x1 = clamp(box[0], 0, iw - 1);
  const y1 = clamp(box[1], 0, ih - 1);
  const x2 = clamp(box[2], 0, iw - 1);
  const y2 = clamp(box[3], 0, ih - 1);
  return x2 - x1 > 0 && y2 - y1 > 0 ? [x1, y1, x2, y2] : undefined;
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}
