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
  if (img.length % 3 !== 0) throw new Error(`colorAugment: img length ${img.length} is not a multiple of 3 (RGB)`);
  const draw = drawColor(rng, options);
  applyColor(img, colorCoefficients(draw, grayMean(img)));
  return draw;
}

/** The random part of color_aug, which does not depend on the pixels. */
export function drawColor(rng: SampleRandom, options: ColorOptions = {}): ColorDraw {
  const { jitter = 0.4, lighting = 0.1, eigVal = EIG_VAL, eigVec = EIG_VEC_RGB } = options;
  const order = rng.shuffle<JitterOp>(['brightness', 'contrast', 'saturation']);
  const alphas = order.map(() => 1 + rng.uniform(-jitter, jitter));
  const coeffs = [rng.normal(lighting), rng.normal(lighting), rng.normal(lighting)];
  return { order, alphas, lighting: lightingDelta(coeffs, eigVal, eigVec) };
}

/**
 * Every op is affine in the pixel x and its grey level g (taken from the input), so the whole
 * sequence is x' = a x + b[ch] + c g: brightness scales a, b and c; contrast scales them and adds
 * (1 - alpha) mean(g) to b; saturation scales them and adds (1 - alpha) to c; lighting adds its
 * offset to b. One pass applies it (and the normalisation) instead of one pass per op.
 */
export interface ColorCoefficients {
  a: number;
  b: [number, number, number];
  c: number;
}

export function colorCoefficients(draw: ColorDraw, grayMeanValue: number): ColorCoefficients {
  let a = 1;
  let b = 0;
  let c = 0;
  draw.order.forEach((op, k) => {
    const alpha = draw.alphas[k];
    a *= alpha;
    b *= alpha;
    c *= alpha;
    if (op === 'contrast') b += (1 - alpha) * grayMeanValue;
    if (op === 'saturation') c += 1 - alpha;
  });
  return { a, b: [b + draw.lighting[0], b + draw.lighting[1], b + draw.lighting[2]], c };
}

/** x' = a x + b[ch] + c g per pixel, then (x' - mean) / std when a normalisation is given. */
export function applyColor(img: Float32Array, k: ColorCoefficients, mean: readonly number[] = [0, 0, 0], std: readonly number[] = [1, 1, 1]): void {
  const [g0, g1, g2] = GRAY_RGB;
  const a = k.a;
  const c = k.c;
  const b0 = k.b[0] - mean[0];
  const b1 = k.b[1] - mean[1];
  const b2 = k.b[2] - mean[2];
  const [s0, s1, s2] = std;
  for (let i = 0; i < img.length; i += 3) {
    const r = img[i];
    const gr = img[i + 1];
    const bl = img[i + 2];
    const g = c * (g0 * r + g1 * gr + g2 * bl);
    img[i] = (a * r + b0 + g) / s0;
    img[i + 1] = (a * gr + b1 + g) / s1;
    img[i + 2] = (a * bl + b2 + g) / s2;
  }
}

/** Mean grey level of the image (gs.mean()). */
export function grayMean(img: Float32Array): number {
  const [g0, g1, g2] = GRAY_RGB;
  let sum = 0;
  for (let i = 0; i < img.length; i += 3) sum += g0 * img[i] + g1 * img[i + 1] + g2 * img[i + 2];
  return sum / Math.max(1, img.length / 3);
}

// The official ops one at a time: the step-by-step definition that the fused pass is tested against.

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
