// From decoded images to a training batch: each image warped (and, in training, augmented), then
// normalised into its slot of one NHWC input; its boxes moved into input pixels; its targets made
// by the caller's callback and concatenated image after image.
// images [h, w, 3] u8 x B -> input [B, H, W, 3] f32, per-image objects, targets [B * ...].
import { centredGeometry, randomGeometry, transformBoxes, warpImage, type AxisAffine, type GeometryOptions } from './augment.js';
import { applyColor, colorCoefficients, drawColor, grayMean, normalize, type ColorOptions } from './color.js';
import type { RgbImage } from './image-io.js';
import type { SampleRandom } from './sample-random.js';
import type { ImageTargets } from './target-spec.js';
import type { BoxXYXY } from './types.js';

export interface AugmentConfig extends GeometryOptions, ColorOptions {
  /** Colour jitter + PCA lighting (default true). */
  color?: boolean;
}

export interface SampleConfig {
  /** [height, width] of the network input. */
  inputSize: [number, number];
  /** Normalisation of 0..1 values, RGB order (the model config's). */
  mean: [number, number, number];
  std: [number, number, number];
  /** Training augmentation; false: the centred validation geometry, no flip, no colour. */
  augment: AugmentConfig | false;
  /** Boxes whose clipped width or height is <= this (input px) are dropped. Default 0. */
  minBoxSize?: number;
}

/** Objects of one image after augmentation, in input pixels. */
export interface SampleObjects {
  /** [n * 4] x1, y1, x2, y2. */
  boxes: Float32Array;
  classIds: Int32Array;
  /** 1 for COCO crowd regions. */
  crowd: Uint8Array;
  /** Share of each box's area the augmentation's crop left inside the input (1: nothing cut off). */
  visible: Float32Array;
}

/** Objects of one image as the dataset holds them (DatasetImage's fields). */
export interface SourceObjects {
  boxes: readonly BoxXYXY[];
  classIds: readonly number[];
  iscrowd: readonly boolean[];
}

export interface SampleInput {
  rgb: RgbImage;
  objects: SourceObjects;
  /** The image's augmentation stream; unused when config.augment is false. */
  rng: SampleRandom;
}

export type MakeTargets = (boxes: BoxXYXY[], classIds: number[], crowd: boolean[], visible: number[]) => ImageTargets;

export interface BatchData {
  input: Float32Array;
  shape: [number, number, number, number];
  /** Per name: the images' arrays one after the other ([B * len]); numbers become [B]. */
  targets: Record<string, Float32Array | Int32Array>;
  objects: SampleObjects[];
}

/** Checks a config's fields; errors name the field. */
export function checkSampleConfig(config: SampleConfig): void {
  const fail = (msg: string): never => {
    throw new Error(`loader: ${msg}`);
  };
  const size = config.inputSize;
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v >= 1)) fail(`inputSize must be [height, width] positive integers, got ${JSON.stringify(size)}`);
  for (const name of ['mean', 'std'] as const) {
    const v = config[name];
    if (!Array.isArray(v) || v.length !== 3 || !v.every(Number.isFinite)) fail(`${name} must be 3 finite numbers (RGB), got ${JSON.stringify(v)}`);
  }
  if (!config.std.every((s) => s > 0)) fail(`std must be positive, got ${JSON.stringify(config.std)}`);
  const minBox = config.minBoxSize ?? 0;
  if (!(minBox >= 0 && Number.isFinite(minBox))) fail(`minBoxSize must be a non-negative number, got ${config.minBoxSize}`);
  const a = config.augment;
  if (a === false) return;
  if (a === null || typeof a !== 'object') fail(`augment must be an options object or false, got ${JSON.stringify(a)}`);
  if (a.mode !== undefined && a.mode !== 'centernet' && a.mode !== 'cornernet' && a.mode !== 'saccade') fail(`augment.mode must be 'centernet', 'cornernet' or 'saccade', got ${JSON.stringify(a.mode)}`);
  if (a.scales !== undefined && !(Array.isArray(a.scales) && a.scales.length > 0 && a.scales.every((s) => s > 0 && Number.isFinite(s)))) {
    fail(`augment.scales must be a non-empty list of positive numbers, got ${JSON.stringify(a.scales)}`);
  }
  if (a.mode === 'cornernet') {
    const smallest = Math.min(...(a.scales ?? [0.6]));
    if (Math.floor(size[0] * smallest) < 1 || Math.floor(size[1] * smallest) < 1) fail(`augment.scales: scale ${smallest} makes an empty crop of the ${size[0]}x${size[1]} input`);
  }
  if (a.border !== undefined && !(Number.isInteger(a.border) && a.border >= 0)) fail(`augment.border must be a non-negative integer, got ${a.border}`);
  if (a.flip !== undefined && !(a.flip >= 0 && a.flip <= 1)) fail(`augment.flip must be a probability in [0, 1], got ${a.flip}`);
  if (a.jitter !== undefined && !(a.jitter >= 0 && a.jitter < 1)) fail(`augment.jitter must be in [0, 1), got ${a.jitter}`);
  if (a.lighting !== undefined && !(a.lighting >= 0 && Number.isFinite(a.lighting))) fail(`augment.lighting must be a non-negative number, got ${a.lighting}`);
  const mat = a.eigVec;
  if (mat !== undefined && !(Array.isArray(mat) && mat.length === 3 && mat.every((r) => Array.isArray(r) && r.length === 3 && r.every(Number.isFinite)))) fail('augment.eigVec must be a 3x3 matrix (rows R, G, B)');
  if (a.eigVal !== undefined && !(Array.isArray(a.eigVal) && a.eigVal.length === 3 && a.eigVal.every(Number.isFinite))) fail('augment.eigVal must be 3 finite numbers');
}

/**
 * One image into `out` ([H * W * 3], normalised) and its objects into input pixels. Order of the
 * random draws: geometry (scale, centre x, centre y, flip), then colour.
 */
export function prepareSample(sample: SampleInput, config: SampleConfig, out: Float32Array): SampleObjects & { affine: AxisAffine } {
  const [inH, inW] = config.inputSize;
  const { rgb, objects, rng } = sample;
  const aug = config.augment;
  // the saccade crop zooms on one of the objects: crowd regions are not objects
  const objectBoxes = aug !== false && aug.mode === 'saccade' ? objects.boxes.filter((_, k) => !objects.iscrowd[k]) : [];
  const affine = aug === false ? centredGeometry(rgb.width, rgb.height, inW, inH) : randomGeometry(rng, rgb.width, rgb.height, inW, inH, aug, objectBoxes).affine;
  warpImage(rgb.data, rgb.width, rgb.height, affine, inW, inH, out);
  if (aug !== false && aug.color !== false) {
    // colour jitter, lighting and normalisation in one pass over the pixels
    const draw = drawColor(rng, aug);
    applyColor(out, colorCoefficients(draw, grayMean(out)), config.mean, config.std);
  } else {
    normalize(out, config.mean, config.std);
  }
  const moved = transformBoxes(objects.boxes, affine, inW, inH, config.minBoxSize ?? 0);
  const n = moved.kept.length;
  const boxes = new Float32Array(n * 4);
  const classIds = new Int32Array(n);
  const crowd = new Uint8Array(n);
  moved.kept.forEach((src, k) => {
    boxes.set(moved.boxes[k], k * 4);
    classIds[k] = objects.classIds[src];
    crowd[k] = objects.iscrowd[src] ? 1 : 0;
  });
  return { boxes, classIds, crowd, visible: Float32Array.from(moved.visible), affine };
}

/** B images -> one batch; makeTargets (optional) sees each image's objects exactly as the batch reports them. */
export function assembleBatch(samples: readonly SampleInput[], config: SampleConfig, makeTargets?: MakeTargets): BatchData {
  const [inH, inW] = config.inputSize;
  const plane = inH * inW * 3;
  const input = new Float32Array(samples.length * plane);
  const objects: SampleObjects[] = [];
  const perImage: ImageTargets[] = [];
  samples.forEach((sample, b) => {
    const { boxes, classIds, crowd, visible } = prepareSample(sample, config, input.subarray(b * plane, (b + 1) * plane));
    objects.push({ boxes, classIds, crowd, visible });
    if (makeTargets) perImage.push(makeTargets(boxList(boxes), Array.from(classIds), Array.from(crowd, (c) => c === 1), Array.from(visible)));
  });
  return { input, shape: [samples.length, inH, inW, 3], targets: makeTargets ? concatTargets(perImage) : {}, objects };
}

/** Per-image target records -> batch arrays, checked to agree in names, types and lengths. */
export function concatTargets(perImage: readonly ImageTargets[]): Record<string, Float32Array | Int32Array> {
  const out: Record<string, Float32Array | Int32Array> = {};
  if (perImage.length === 0) return out;
  const names = Object.keys(perImage[0]).sort();
  perImage.forEach((t, b) => {
    const these = Object.keys(t).sort();
    if (these.join() !== names.join()) throw new Error(`targets: image ${b} of the batch has targets [${these}], image 0 has [${names}]`);
  });
  for (const name of names) {
    const first = perImage[0][name];
    if (typeof first === 'number') {
      out[name] = Float32Array.from(perImage, (t, b) => {
        const v = t[name];
        if (typeof v !== 'number') throw new Error(`targets: "${name}" is a number for image 0 but not for image ${b}`);
        return v;
      });
      continue;
    }
    if (!(first instanceof Float32Array || first instanceof Int32Array)) throw new Error(`targets: "${name}" must be a Float32Array, Int32Array or number, got ${describe(first)}`);
    const Ctor = first instanceof Float32Array ? Float32Array : Int32Array;
    const len = first.length;
    const all = new Ctor(len * perImage.length);
    perImage.forEach((t, b) => {
      const v = t[name];
      if (!(v instanceof Ctor) || v.length !== len) throw new Error(`targets: "${name}" of image ${b} is ${describe(v)}, image 0 has ${Ctor.name}(${len})`);
      all.set(v, b * len);
    });
    out[name] = all;
  }
  return out;
}

/** Every distinct ArrayBuffer of a batch: the transfer list when it crosses threads. */
export function batchBuffers(data: BatchData): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView) => set.add(a.buffer as ArrayBuffer);
  add(data.input);
  for (const t of Object.values(data.targets)) add(t);
  for (const o of data.objects) {
    add(o.boxes);
    add(o.classIds);
    add(o.crowd);
    add(o.visible);
  }
  return [...set];
}

function boxList(boxes: Float32Array): BoxXYXY[] {
  const list: BoxXYXY[] = [];
  for (let k = 0; k < boxes.length; k += 4) list.push([boxes[k], boxes[k + 1], boxes[k + 2], boxes[k + 3]]);
  return list;
}

function describe(v: unknown): string {
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as Float32Array).length})`;
  return typeof v;
}
