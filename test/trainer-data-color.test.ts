// Photometric augmentation: each op by hand, the RGB constants against the official BGR ones (the
// same pixels as OpenCV would hold them must get the same change), the whole color_aug against a
// BGR re-implementation of the official code fed the same draws, identity at zero strength, a sane
// range, and exact normalisation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { blendGray, blendScalar, brightness, colorAugment, EIG_VAL, EIG_VEC_BGR, EIG_VEC_RGB, grayscale, lightingDelta, normalize } from '../trainer/data/color.js';
import { SampleRandom } from '../trainer/data/sample-random.js';
import { rng } from './helpers/random.js';

const close = (a: number, b: number, what: string, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

function randomImage(pixels: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: pixels * 3 }, () => r());
}

/** RGB <-> BGR: reverse the channels of every pixel. */
function swapRB(img: ArrayLike<number>): Float64Array {
  const out = new Float64Array(img.length);
  for (let i = 0; i < img.length; i += 3) {
    out[i] = img[i + 2];
    out[i + 1] = img[i + 1];
    out[i + 2] = img[i];
  }
  return out;
}

/**
 * The official color_aug on a BGR float image (CenterNet utils/image.py), with the op order, the
 * alphas and the lighting coefficients given: gs = cv2.cvtColor(img, COLOR_BGR2GRAY) taken once
 * first; brightness img *= a; contrast blend with gs.mean(); saturation blend with gs;
 * lighting img += eig_vec . (eig_val * coeffs) with the BGR eig_vec.
 */
function officialColorAugBGR(img: Float64Array, order: string[], alphas: number[], coeffs: number[]): void {
  const n = img.length / 3;
  const gs = new Float64Array(n);
  for (let p = 0; p < n; p++) gs[p] = 0.114 * img[3 * p] + 0.587 * img[3 * p + 1] + 0.299 * img[3 * p + 2];
  const gsMean = gs.reduce((a, v) => a + v, 0) / n;
  order.forEach((op, k) => {
    const a = alphas[k];
    for (let i = 0; i < img.length; i++) {
      if (op === 'brightness') img[i] *= a;
      else if (op === 'contrast') img[i] = img[i] * a + gsMean * (1 - a);
      else img[i] = img[i] * a + gs[Math.floor(i / 3)] * (1 - a);
    }
  });
  const delta = [0, 1, 2].map((c) => [0, 1, 2].reduce((s, k) => s + EIG_VEC_BGR[c][k] * EIG_VAL[k] * coeffs[k], 0));
  for (let i = 0; i < img.length; i++) img[i] += delta[i % 3];
}

test('the RGB eigenvectors are the official BGR ones with the channel rows reversed', () => {
  assert.equal(EIG_VEC_RGB[0], EIG_VEC_BGR[2]);
  assert.equal(EIG_VEC_RGB[1], EIG_VEC_BGR[1]);
  assert.equal(EIG_VEC_RGB[2], EIG_VEC_BGR[0]);
  // the official values, copied from core/dbs/coco.py
  assert.equal(EIG_VAL, [0.2141788, 0.01817699, 0.00341571]);
  assert.equal(EIG_VEC_BGR[0], [-0.58752847, -0.69563484, 0.41340352]);
  // the first component is nearly grey (all channels alike) and the vectors are orthonormal
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const dot = [0, 1, 2].reduce((s, c) => s + EIG_VEC_BGR[c][a] * EIG_VEC_BGR[c][b], 0);
      close(dot, a === b ? 1 : 0, `columns ${a}.${b}`, 1e-6);
    }
  }
});

test('lighting: the RGB offset is the official BGR offset with its channels reversed', () => {
  const coeffs = [0.13, -0.07, 0.21];
  const rgb = lightingDelta(coeffs, EIG_VAL, EIG_VEC_RGB);
  const bgr = [0, 1, 2].map((c) => [0, 1, 2].reduce((s, k) => s + EIG_VEC_BGR[c][k] * EIG_VAL[k] * coeffs[k], 0));
  close(rgb[0], bgr[2], 'R', 1e-12);
  close(rgb[1], bgr[1], 'G', 1e-12);
  close(rgb[2], bgr[0], 'B', 1e-12);
});

test('brightness, contrast, saturation and grey by hand', () => {
  const img = Float32Array.from([0.2, 0.4, 0.6, 1, 0, 0.5]);
  const gray = grayscale(img);
  close(gray[0], 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6, 'grey 0');
  close(gray[1], 0.299 * 1 + 0.114 * 0.5, 'grey 1');
  const b = img.slice();
  brightness(b, 1.25);
  [0.25, 0.5, 0.75, 1.25, 0, 0.625].forEach((v, i) => close(b[i], v, `brightness ${i}`));
  const c = img.slice();
  blendScalar(c, 0.5, 0.4); // 0.5 x + 0.5 * 0.4
  [0.3, 0.4, 0.5, 0.7, 0.2, 0.45].forEach((v, i) => close(c[i], v, `contrast ${i}`));
  const s = img.slice();
  blendGray(s, 0, gray); // alpha 0: every channel becomes the pixel's grey
  [gray[0], gray[0], gray[0], gray[1], gray[1], gray[1]].forEach((v, i) => close(s[i], v, `saturation ${i}`));
});

test('colorAugment equals the official BGR color_aug on the same pixels with the same draws', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const img = randomImage(50, seed);
    const mine = img.slice();
    const draw = colorAugment(mine, new SampleRandom(seed));
    // replay the draws in the documented order: shuffle, one alpha per op, three normals
    const r = new SampleRandom(seed);
    const order = r.shuffle(['brightness', 'contrast', 'saturation']);
    const alphas = order.map(() => 1 + r.uniform(-0.4, 0.4));
    const coeffs = [r.normal(0.1), r.normal(0.1), r.normal(0.1)];
    assert.equal(draw.order, order);
    assert.equal(draw.alphas, alphas);
    const ref = swapRB(img);
    officialColorAugBGR(ref, order, alphas, coeffs);
    const back = swapRB(ref);
    mine.forEach((v, i) => close(v, back[i], `seed ${seed} value ${i}`));
  }
});

test('zero jitter and zero lighting leave the image exactly as it was', () => {
  const img = randomImage(40, 3);
  const out = img.slice();
  const draw = colorAugment(out, new SampleRandom(9), { jitter: 0, lighting: 0 });
  assert.equal(draw.alphas, [1, 1, 1]);
  assert.equal(Array.from(out), Array.from(img));
});

test('augmented images stay finite and within the range the ops can reach', () => {
  // Bounds from [0, 1] with alphas in [0.6, 1.4] and greys in [0, 1]: brightness maps x to at most
  // 1.4 x; a blend to at most max(1.4 x, x, 1), so the top is 1.4^3 = 2.744. From below, a blend
  // reaches 1.4 min(x, 0) - 0.4 and brightness 1.4 min(x, 0): at worst -0.4, -0.96, then -1.344.
  // Lighting moves a channel by |eig_vec . (eig_val * N(0, 0.1))| < 0.1 (even at 4 sigma).
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  let n = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const img = randomImage(64, seed);
    colorAugment(img, new SampleRandom(seed));
    for (const v of img) {
      assert.ok(Number.isFinite(v));
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      sum += v;
      n++;
    }
  }
  assert.ok(lo > -1.5 && hi < 2.85, `range [${lo}, ${hi}]`);
  // the jitter is centred on 1: the average pixel stays near the input's 0.5
  close(sum / n, 0.5, 'mean', 0.05);
});

test('normalize is exactly (x - mean) / std per RGB channel', () => {
  const img = randomImage(30, 5);
  const out = img.slice();
  const mean = [0.47026115, 0.44719302, 0.40789654];
  const std = [0.27809835, 0.27408164, 0.28863828];
  normalize(out, mean, std);
  img.forEach((v, i) => assert.is(out[i], Math.fround((v - mean[i % 3]) / std[i % 3]), `value ${i}`));
  assert.throws(() => normalize(out, mean, [0.2, 0, 0.2]), /std\[1\] must be positive/);
  assert.throws(() => normalize(new Float32Array(4), mean, std), /not a multiple of 3/);
});

test.run();
