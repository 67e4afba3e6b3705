// Photometric augmentation and normalisation of the warped input, as the official color_aug /
// color_jittering_ + lighting_ + normalize_: brightness, contrast and saturation in random order,
// each with alpha = 1 + U(-0.4, 0.4); then PCA lighting img += eig_vec . (eig_val * N(0, 0.1));
// then (x - mean) / std. img [H, W, 3] RGB f32 in 0..1, modified in place.
//
// Channel order: the official constants are for OpenCV (BGR) images. eig_vec's rows are colour
// channels (B, G, R) and its columns the principal components, so for RGB pixels its rows are
// reversed (EIG_VEC_RGB); eig_val belongs to the components and is unchanged. The grey image
// (cv2.COLOR_BGR2GRAY) is 0.299 R + 0.587 G + 0.114 B, applied to the right channels here. Mean and
// std come from the model config, which is RGB already.
import type { SampleRandom } from './sample-random.js';

/** PCA eigenvalues of the official COCO pixel statistics (core/dbs/coco.py, CenterNet coco.py). */
export const EIG_VAL: readonly number[] = [0.2141788, 0.01817699, 0.00341571];
/** Official eig_vec: rows B, G, R (OpenCV channel order), columns the components. */
export const EIG_VEC_BGR: readonly (readonly number[])[] = [
  [-0.58752847, -0.69563484, 0.41340352],
  [-0.5832747, 0.00994535, -0.81221408],
  [-0.56089297, 0.71832671, 0.41158938],
];
/** The same vectors for RGB pixels: rows R, G, B. */
export const EIG_VEC_RGB: readonly (readonly number[])[] = [EIG_VEC_BGR[2], EIG_VEC_BGR[1], EIG_VEC_BGR[0]];
/** cv2.COLOR_BGR2GRAY weights, in RGB order. */
export const GRAY_RGB: readonly number[] = [0.299, 0.587, 0.114];

export interface ColorOptions {
  /** Strength of brightness / contrast / saturation: alpha = 1 + U(-jitter, jitter). Default 0.4. */
  jitter?: number;
  /** Std of the PCA lighting coefficients (alphastd). Default 0.1. */
  lighting?: number;
  /** PCA eigenvalues. Default EIG_VAL. */
  eigVal?: readonly number[];
  /** PCA eigenvectors, rows R, G, B. Default EIG_VEC_RGB. */
  eigVec?: readonly (readonly number[])[];
}

export type JitterOp = 'brightness' | 'contrast' | 'saturation';

/** What colorAugment drew (for tests and debugging). */
export interface ColorDraw {
  order: JitterOp[];
  /** Alpha of each op of `order`, in that order. */
  alphas: number[];
  /** The RGB offset added by the lighting step. */
  lighting: [number, number, number];
}

/**
 * Official order of draws: the op order (a shuffle), one alpha per op as it is applied, then the
 * three lighting coefficients. The grey image and its mean are taken once, before the first op,
 * from the unjittered input, as officially.
 */
export function colorAugment(img: Float32Array, rng: SampleRandom, options: ColorOptions = {}): ColorDraw {
  const { jitter = 0.4, lighting = 0.1, eigVal = EIG_VAL, eigVec = EIG_VEC_RGB } = options;
  if (img.length % 3 !== 0) throw new Error(`colorAugment: img length ${img.length} is not a multiple of 3 (RGB)`);
  const order = rng.shuffle<JitterOp>(['brightness', 'contrast', 'saturation']);
  const gray = grayscale(img);
  let grayMean = 0;
  for (let p = 0; p < gray.length; p++) grayMean += gray[p];
  grayMean /= Math.max(1, gray.length);
  const alphas: number[] = [];
  for (const op of order) {
    const alpha = 1 + rng.uniform(-jitter, jitter);
    alphas.push(alpha);
    if (op === 'brightness') brightness(img, alpha);
    else if (op === 'contrast') blendScalar(img, alpha, grayMean);
    else blendGray(img, alpha, gray);
  }
  const coeffs = [rng.normal(lighting), rng.normal(lighting), rng.normal(lighting)];
  const delta = lightingDelta(coeffs, eigVal, eigVec);
  addRgb(img, delta);
  return { order, alphas, lighting: delta };
}

/** brightness_: img *= alpha. */
export function brightness(img: Float32Array, alpha: number): void {
  for (let i = 0; i < img.length; i++) img[i] *= alpha;
}

/** contrast_: img = alpha img + (1 - alpha) mean(gray). */
export function blendScalar(img: Float32Array, alpha: number, value: number): void {
  const add = (1 - alpha) * value;
  for (let i = 0; i < img.length; i++) img[i] = img[i] * alpha + add;
}

/** saturation_: img = alpha img + (1 - alpha) gray, gray per pixel. */
export function blendGray(img: Float32Array, alpha: number, gray: Float32Array): void {
  const beta = 1 - alpha;
  for (let p = 0, i = 0; p < gray.length; p++, i += 3) {
    const g = gray[p] * beta;
    img[i] = img[i] * alpha + g;
    img[i + 1] = img[i + 1] * alpha + g;
    img[i + 2] = img[i + 2] * alpha + g;
  }
}

/** Grey level per pixel (cv2.COLOR_BGR2GRAY weights on R, G, B). */
export function grayscale(img: Float32Array): Float32Array {
  const n = img.length / 3;
  const gray = new Float32Array(n);
  for (let p = 0, i = 0; p < n; p++, i += 3) gray[p] = GRAY_RGB[0] * img[i] + GRAY_RGB[1] * img[i + 1] + GRAY_RGB[2] * img[i + 2];
  return gray;
}

/** lighting_: eig_vec . (eig_val * coeffs), one offset per channel (rows of eigVec). */
export function lightingDelta(coeffs: readonly number[], eigVal: readonly number[], eigVec: readonly (readonly number[])[]): [number, number, number] {
  const d: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < 3; k++) d[c] += eigVec[c][k] * eigVal[k] * coeffs[k];
  }
  return d;
}

/** img += delta per channel. */
export function addRgb(img: Float32Array, delta: readonly number[]): void {
  for (let i = 0; i < img.length; i += 3) {
    img[i] += delta[0];
    img[i + 1] += delta[1];
    img[i + 2] += delta[2];
  }
}

/** normalize_: (x - mean) / std per channel, in place; mean and std in RGB order. */
export function normalize(img: Float32Array, mean: readonly number[], std: readonly number[]): void {
  if (img.length % 3 !== 0) throw new Error(`normalize: img length ${img.length} is not a multiple of 3 (RGB)`);
  for (let c = 0; c < 3; c++) {
    if (!Number.isFinite(mean[c])) throw new Error(`normalize: mean[${c}] must be finite, got ${mean[c]}`);
    if (!(std[c] > 0 && Number.isFinite(std[c]))) throw new Error(`normalize: std[${c}] must be positive, got ${std[c]}`);
  }
  for (let i = 0; i < img.length; i += 3) {
    img[i] = (img[i] - mean[0]) / std[0];
    img[i + 1] = (img[i + 1] - mean[1]) / std[1];
    img[i + 2] = (img[i + 2] - mean[2]) / std[2];
  }
}
