// Reading an architecture off a state dict's shapes, and the config fields every official family
// shares (COCO labels and normalisation, the model-file format). Used by the family modules.

import { validateConfig, type DecodeConfig, type ModelConfig, type PartConfig } from '../../model/config.js';
import { MODEL_FORMAT, type Detector } from '../../model/names.js';
import { COCO_LABELS, COCO_MEAN_RGB, COCO_STD_RGB } from '../../model/presets.js';
import type { ShapeMap } from '../family.js';

/** Shape look-ups whose Errors name the checkpoint, the family and the key. */
export class Shapes {
  constructor(
    readonly keys: ShapeMap,
    /** `source: family`, the prefix of every Error. */
    private readonly where: string,
  ) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  shape(key: string): readonly number[] {
    const s = this.keys.get(key);
    if (!s) throw new Error(`${this.where}: key ${key} is missing (every checkpoint of this family has it)`);
    return s;
  }

  /** Size of one axis of a tensor of the given rank. */
  dim(key: string, axis: number, rank: number): number {
    const s = this.shape(key);
    if (s.length !== rank) throw new Error(`${this.where}: key ${key} has shape [${s}], expected ${rank} dimensions`);
    const d = s[axis];
    if (!Number.isInteger(d) || d < 1) throw new Error(`${this.where}: key ${key} has shape [${s}], axis ${axis} must be positive`);
    return d;
  }

  /** Output channels of a conv weight [out, in/groups, kh, kw]. */
  convOut(key: string): number {
    return this.dim(key, 0, 4);
  }

  /** Kernel side of a square conv weight [out, in/groups, k, k]. */
  convKernel(key: string): number {
    const s = this.shape(key);
    const k = this.dim(key, 2, 4);
    if (s[3] !== k) throw new Error(`${this.where}: key ${key} has shape [${s}], expected a square kernel`);
    return k;
  }

  /** Length of a vector (e.g. a batch norm's weight). */
  length(key: string): number {
    return this.dim(key, 0, 1);
  }

  /** How many of `${prefix}0${suffix}`, `${prefix}1${suffix}`, ... exist in a row (a ModuleList's length). */
  count(prefix: string, suffix: string): number {
    let n = 0;
    while (this.keys.has(`${prefix}${n}${suffix}`)) n++;
    return n;
  }

  /** An Error naming the checkpoint and family. */
  fail(message: string): never {
    throw new Error(`${this.where}: ${message}`);
  }
}

export interface OfficialConfigFields {
  name: string;
  detector: Detector;
  backbone: PartConfig;
  neck?: PartConfig;
  head: PartConfig;
  numClasses: number;
  /** The official test input [height, width]. */
  inputSize: [number, number];
  /** The official test config's decode settings. */
  decode: DecodeConfig;
  /** Head -> official output name where it differs from the detector's default (model/names.ts). */
  outputNames?: Record<string, string>;
}

/**
 * A validated model config for an official checkpoint: COCO labels when it has 80 classes (the
 * published models are COCO's), else `class0`, `class1`, ...; the official COCO normalisation in
 * RGB order, which is right because the importer reverses the first conv's input channels (the
 * official models read OpenCV's BGR images).
 */
export function officialConfig(f: OfficialConfigFields, source: string): ModelConfig {
  const labels = f.numClasses === COCO_LABELS.length ? [...COCO_LABELS] : Array.from({ length: f.numClasses }, (_, i) => `class${i}`);
  const raw = {
    format: MODEL_FORMAT,
    name: f.name,
    detector: f.detector,
    backbone: f.backbone,
    ...(f.neck ? { neck: f.neck } : {}),
    head: f.head,
    numClasses: f.numClasses,
    labels,
    inputSize: f.inputSize,
    mean: [...COCO_MEAN_RGB],
    std: [...COCO_STD_RGB],
    decode: f.decode,
    ...(f.outputNames ? { outputNames: f.outputNames } : {}),
  };
  return validateConfig(raw, `${source}: the config read from its shapes`);
}
