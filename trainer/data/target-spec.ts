// What the loader needs to know to have training targets made next to each batch: a serialisable
// spec (it crosses the worker boundary, where a closure cannot) and the builder function it names.
// By default the builder is `buildTargets` exported by trainer/targets/index.ts, imported lazily so
// the data code does not depend on the target code at load time.
import { pathToFileURL } from 'node:url';
import type { RadiusRule } from '../targets/gaussian.js';
import type { BoxXYXY } from './types.js';

export type TargetKind = 'centernet' | 'cornernet' | 'cornernet-saccade';
export const TARGET_KINDS: readonly TargetKind[] = ['centernet', 'cornernet', 'cornernet-saccade'];

export interface TargetSpec {
  kind: TargetKind;
  numClasses: number;
  /**
   * Input pixels per output-map pixel (4 for the official models): output size = input / stride.
   * Not needed when the loader is given the output size itself (LoaderOptions.outputSize).
   */
  outputStride?: number;
  /** Object slots per image (official max_objs / max_tag_len). Default 128. */
  maxObjects?: number;
  /**
   * 'cornernet-saccade' only: the attention maps' [height, width] and input pixels per map pixel,
   * deepest hourglass level first (the network's `atts.i` heads).
   */
  attention?: { sizes: [number, number][]; strides: number[] };
  /**
   * The corner targets' gaussian_radius: 'cornernet' (CornerNet's; the default of kind 'cornernet')
   * or 'cornernet-lite' (CornerNet-Lite's corrected one, which trained CornerNet-Squeeze and
   * -Saccade; the default of kind 'cornernet-saccade'). Not for kind 'centernet'.
   */
  radius?: RadiusRule;
  /** Extra builder settings, passed through untouched (e.g. a Gaussian min overlap). */
  options?: Record<string, number | boolean | string>;
  /** Module exporting the builder: a file URL or an absolute path. Default trainer/targets/index.js. */
  module?: string;
  /** Name of the builder export. Default 'buildTargets'. */
  exportName?: string;
}

/** The spec the builder receives: sizes ([height, width]) and the object slots filled in. */
export interface ResolvedTargetSpec extends TargetSpec {
  inputSize: [number, number];
  outputSize: [number, number];
  maxObjects: number;
}

export const DEFAULT_MAX_OBJECTS = 128;

/** Typed arrays per target name; a number per image becomes a [B] Float32Array in the batch. */
export type ImageTargets = Record<string, Float32Array | Int32Array | number>;

/**
 * Targets of one image. boxes are [x1, y1, x2, y2] in input pixels after augmentation (continuous,
 * clipped to the input); classIds are channels; crowd marks COCO crowd regions (never targets);
 * visible is the share of each box's area the clipping kept (1: none cut off).
 * Every image of a run must give the same names with the same array types and lengths.
 */
export type TargetBuilder = (spec: ResolvedTargetSpec, boxes: BoxXYXY[], classIds: number[], crowd: boolean[], visible: number[]) => ImageTargets;

export const DEFAULT_TARGET_EXPORT = 'buildTargets';

export function defaultTargetModule(): string {
  // under tsx the .js specifier resolves to the .ts source, as static imports do
  return new URL('../targets/index.js', import.meta.url).href;
}

/**
 * Checks a spec and fills in the sizes: outputSize as given (the network's head size), else
 * inputSize / outputStride. Errors name the field.
 */
export function resolveTargetSpec(spec: TargetSpec, inputSize: readonly [number, number], outputSize?: readonly [number, number]): ResolvedTargetSpec {
  const fail = (msg: string): never => {
    throw new Error(`targets: ${msg}`);
  };
  if (spec === null || typeof spec !== 'object') fail(`expected a target spec object, got ${JSON.stringify(spec)}`);
  if (!TARGET_KINDS.includes(spec.kind)) fail(`kind must be one of ${TARGET_KINDS.map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(spec.kind)}`);
  const positive = (name: string, v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 1) fail(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  if ((spec.kind === 'cornernet-saccade') !== (spec.attention !== undefined)) fail(`attention (the attention maps' sizes and strides) is given for kind 'cornernet-saccade' and only for it`);
  if (spec.attention !== undefined) {
    if (spec.attention === null || typeof spec.attention !== 'object') fail(`attention must be { sizes, strides }, got ${JSON.stringify(spec.attention)}`);
    const { sizes, strides } = spec.attention;
    if (!Array.isArray(sizes) || !Array.isArray(strides) || sizes.length === 0 || sizes.length !== strides.length) fail(`attention needs as many sizes as strides, at least one, got ${JSON.stringify(spec.attention)}`);
    sizes.forEach((size, i) => {
      if (!Array.isArray(size) || size.length !== 2) fail(`attention.sizes[${i}] must be [height, width], got ${JSON.stringify(size)}`);
      positive(`attention.sizes[${i}][0]`, size[0]);
      positive(`attention.sizes[${i}][1]`, size[1]);
      if (!(typeof strides[i] === 'number' && strides[i] > 0 && Number.isFinite(strides[i]))) fail(`attention.strides[${i}] must be a positive number, got ${JSON.stringify(strides[i])}`);
    });
  }
  if (spec.radius !== undefined && (spec.kind === 'centernet' || (spec.radius !== 'cornernet' && spec.radius !== 'cornernet-lite'))) {
    fail(`radius must be 'cornernet' or 'cornernet-lite', for a CornerNet kind, got ${JSON.stringify(spec.radius)} for kind '${spec.kind}'`);
  }
  positive('numClasses', spec.numClasses);
  const maxObjects = spec.maxObjects ?? DEFAULT_MAX_OBJECTS;
  positive('maxObjects', maxObjects);
  const [h, w] = inputSize;
  let out: [number, number];
  if (outputSize !== undefined) {
    if (!Array.isArray(outputSize) || outputSize.length !== 2) fail(`outputSize must be [height, width], got ${JSON.stringify(outputSize)}`);
    positive('outputSize[0]', outputSize[0]);
    positive('outputSize[1]', outputSize[1]);
    out = [outputSize[0], outputSize[1]];
    if (spec.outputStride !== undefined && (out[0] * spec.outputStride !== h || out[1] * spec.outputStride !== w)) {
      fail(`outputSize ${out[0]}x${out[1]} times outputStride ${spec.outputStride} is not the input size ${h}x${w}`);
    }
  } else {
    if (spec.outputStride === undefined) fail('give outputStride (or the loader an outputSize)');
    const stride = spec.outputStride as number;
    positive('outputStride', stride);
    if (h % stride !== 0 || w % stride !== 0) fail(`input size ${h}x${w} is not a multiple of outputStride ${stride}`);
    out = [h / stride, w / stride];
  }
  if (spec.module !== undefined && (typeof spec.module !== 'string' || spec.module === '')) fail(`module must be a file URL or an absolute path, got ${JSON.stringify(spec.module)}`);
  if (spec.exportName !== undefined && (typeof spec.exportName !== 'string' || spec.exportName === '')) fail(`exportName must be a non-empty string`);
  const resolved: ResolvedTargetSpec = { ...spec, inputSize: [h, w], outputSize: out, maxObjects };
  // structuredClone fails on functions and the like: catch it here, not in a worker
  try {
    structuredClone(resolved);
  } catch (e) {
    fail(`the spec must be plain data (it is sent to worker threads): ${(e as Error).message}`);
  }
  return resolved;
}

/** Imports the spec's builder module and returns its builder function. */
export async function loadTargetBuilder(spec: TargetSpec): Promise<TargetBuilder> {
  const where = spec.module === undefined ? defaultTargetModule() : spec.module.startsWith('file:') ? spec.module : pathToFileURL(spec.module).href;
  const name = spec.exportName ?? DEFAULT_TARGET_EXPORT;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(where)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`targets: cannot load the target builder module ${where} (${(e as Error).message})`);
  }
  const fn = mod[name];
  if (typeof fn !== 'function') throw new Error(`targets: ${where} has no function export "${name}" (exports: ${Object.keys(mod).join(', ') || 'none'})`);
  return fn as TargetBuilder;
}
