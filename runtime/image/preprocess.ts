// Test-time preprocessing: image -> normalised NHWC network input + the transform that maps boxes
// back. CenterNet: affine warp of the centred max(h, w) square onto a fixed input (fix-res).
// CornerNet (and CenterNet keep_res): resize by the test scale, centre in a zero-padded canvas.
import { describe, type Tensor } from '../ops/tensor.js';
import { checkImage, type ImageInput } from './source.js';
import { centerNetTransform, paddedTransform, type ImageTransform, type PaddedSize } from './transform.js';
import { warpNormalise, type Normalisation, type Warper } from './warp.js';

export interface NormaliseOptions {
  /** Per-channel mean / std on the 0..1 scale, in channelOrder order (the model config's values). */
  mean: readonly number[];
  std: readonly number[];
  channelOrder?: 'rgb' | 'bgr';
  /** Write the input here instead of a new array (length inputHeight * inputWidth * 3). */
  out?: Float32Array;
  /** The warp on the wasm kernels (runtime/wasm/warp.ts wasmWarper), same values; default: in JavaScript. */
  warper?: Warper;
}

export interface CenterNetPreprocessOptions extends NormaliseOptions {
  inputWidth: number;
  inputHeight: number;
  /** Test scale (official test_scales entry): the image is drawn `scale` times larger. */
  scale?: number;
}

export interface CornerNetPreprocessOptions extends NormaliseOptions, Omit<PaddedSize, 'testScale'> {
  scale?: number;
}

export interface Preprocessed {
  /** [1, inputHeight, inputWidth, 3], normalised. */
  input: Tensor;
  transform: ImageTransform;
}

export function preprocessCenterNet(image: ImageInput, options: CenterNetPreprocessOptions): Preprocessed {
  const fn = 'preprocessCenterNet';
  const src = checkImage(fn, image);
  const norm = checkNormalisation(fn, options);
  const { inputWidth, inputHeight, scale = 1 } = options;
  for (const [name, v] of [['inputWidth', inputWidth], ['inputHeight', inputHeight]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${fn}: options.${name} must be a positive integer, got ${String(v)}`);
  }
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) throw new Error(`${fn}: options.scale must be a positive number, got ${String(scale)}`);
  const transform = centerNetTransform(src.width, src.height, inputWidth, inputHeight, scale);
  return { input: warpNormalise(src, transform, norm, options.out, options.warper), transform };
}

export function preprocessCornerNet(image: ImageInput, options: CornerNetPreprocessOptions): Preprocessed {
  const fn = 'preprocessCornerNet';
  const src = checkImage(fn, image);
  const norm = checkNormalisation(fn, options);
  const { scale, ...size } = options;
  const transform = paddedTransform(fn, src.width, src.height, { ...size, testScale: scale });
  return { input: warpNormalise(src, transform, norm, options.out, options.warper), transform };
}

function checkNormalisation(fn: string, options: NormaliseOptions): Normalisation {
  if (typeof options !== 'object' || options === null) throw new Error(`${fn}: options { mean, std, ... } are required`);
  const { mean, std, channelOrder = 'rgb' } = options;
  const triple = (name: string, v: unknown, positive: boolean) => {
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))) {
      throw new Error(`${fn}: options.${name} must be 3 finite numbers${positive ? ' > 0' : ''} (0..1 scale), got ${Array.isArray(v) ? JSON.stringify(v) : describe(v)}`);
    }
    return v as unknown as readonly [number, number, number];
  };
  if (channelOrder !== 'rgb' && channelOrder !== 'bgr') throw new Error(`${fn}: options.channelOrder must be 'rgb' or 'bgr', got ${String(channelOrder)}`);
  return { mean: triple('mean', mean, false), std: triple('std', std, true), channelOrder };
}
