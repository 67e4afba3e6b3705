// Training targets: the official gaussian_radius on hand-worked cases, the Gaussian splat (peak 1,
// max merge, border clipping), and CenterNet / CornerNet targets of hand-placed boxes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { centerNetTargets } from '../trainer/targets/centernet-targets.js';
import { cornerNetTargets } from '../trainer/targets/cornernet-targets.js';
import { drawGaussian, gaussianKernel, gaussianRadius } from '../trainer/targets/gaussian.js';

const close = (a: number, b: number, tol = 1e-4) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('gaussianRadius: the official roots (b + sqrt(b^2 - 4ac)) / 2, minimum of the three', () => {
  // 40 x 40, m = 0.7:
  //   r1: b = 80,   c = 1600 * 0.3 / 1.7 = 282.353, sqrt(6400 - 1129.41) = 72.5993  -> (80 + 72.5993) / 2 = 76.2997
  //   r2: b = 160,  c = 0.3 * 1600 = 480,          sqrt(25600 - 7680) = 133.8656  -> 146.9328
  //   r3: a = 2.8, b = -112, c = -480,             sqrt(12544 + 5376) = 133.8656  -> (-112 + 133.8656) / 2 = 10.9328
  close(gaussianRadius(40, 40, 0.7), 10.9328);
  // 4 x 8, m = 0.7 (a CenterNet box on the output map):
  //   r3: a = 2.8, b = -16.8, c = -9.6, sqrt(282.24 + 107.52) = 19.7423 -> 1.47115 (r1 = 11.51, r2 = 22.28)
  close(gaussianRadius(4, 8, 0.7), 1.47115);
  // 5 x 8, m = 0.3 (CornerNet): r3: a = 1.2, b = -7.8, c = -28, sqrt(60.84 + 134.4) = 13.9728 -> 3.0864
  close(gaussianRadius(5, 8, 0.3), 3.0864);
  // Not the textbook smaller root of case 1, (b - sqrt(...)) / (2a) = 3.7003 for the 40 x 40 box:
  // the official variant is kept on purpose (see gaussian.ts).
  assert.ok(Math.abs(gaussianRadius(40, 40, 0.7) - 3.7003) > 1);
  assert.is(gaussianRadius(0, 10, 0.7), 0);
  assert.throws(() => gaussianRadius(10, 10, 1), /minOverlap must be in \(0, 1\), got 1/);
  assert.throws(() => gaussianRadius(-1, 10, 0.7), /height and width must be >= 0/);
});

test('gaussianKernel: sigma = (2r + 1) / 6, centre 1', () => {
  // r = 1: d = 3, sigma = 0.5, 2 sigma^2 = 0.5: edge exp(-1 / 0.5) = e^-2, corner e^-4.
  const g = gaussianKernel(1);
  const e2 = Math.exp(-2);
  const e4 = Math.exp(-4);
  assert.equal(Array.from(g), [e4, e2, e4, e2, 1, e2, e4, e2, e4]);
  assert.equal(Array.from(gaussianKernel(0)), [1]);
  // r = 3: sigma = 7 / 6; the corner exp(-18 / (2 * 49 / 36)) = exp(-6.6122).
  close(gaussianKernel(3)[0], Math.exp(-18 / ((2 * 49) / 36)), 1e-12);
});

test('drawGaussian: exactly 1 at the centre, max merge where Gaussians overlap, clipped at the borders', () => {
  const W = 7;
  const H = 5;
  const hm = new Float32Array(W * H);
  drawGaussian(hm, W, H, 2, 2, 1);
  assert.is(hm[2 * W + 2], 1);
  close(hm[2 * W + 3], Math.exp(-2), 1e-7);
  close(hm[1 * W + 1], Math.exp(-4), 1e-7);
  assert.is(hm[2 * W + 4], 0);
  // A second, wider Gaussian at (4, 2): at (3, 2) the first gives e^-2 = 0.135, the second
  // (r = 2, sigma = 5/6, 2 sigma^2 = 50/36) exp(-36/50) = 0.487: the max is kept.
  drawGaussian(hm, W, H, 4, 2, 2);
  close(hm[2 * W + 3], Math.exp(-36 / 50), 1e-7);
  assert.is(hm[2 * W + 2], 1, 'the first peak stays 1 (max, not sum)');
  assert.is(hm[2 * W + 4], 1);
  // Clipped at the top-left corner: only the in-map quadrant is written, with the kernel's values.
  const corner = new Float32Array(W * H);
  drawGaussian(corner, W, H, 0, 0, 2);
  const k = gaussianKernel(2);
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) close(corner[y * W + x], k[(y + 2) * 5 + (x + 2)], 1e-7);
  assert.is(corner.reduce((n, v) => n + (v > 0 ? 1 : 0), 0), 9);
  // Bottom-right corner too.
  const br = new Float32Array(W * H);
  drawGaussian(br, W, H, W - 1, H - 1, 3);
  assert.is(br[H * W - 1], 1);
  assert.is(br.reduce((n, v) => n + (v > 0 ? 1 : 0), 0), 16);
  // Channels: draws into channel 1 of a [H, W, 3] map only.
  const multi = new Float32Array(W * H * 3);
  drawGaussian(multi, W, H, 1, 1, 0, { channels: 3, channel: 1 });
  assert.equal([multi[(W + 1) * 3], multi[(W + 1) * 3 + 1], multi[(W + 1) * 3 + 2]], [0, 1, 0]);
  assert.throws(() => drawGaussian(hm, W, H, 7, 0, 1), /centre \(7, 0\) must be an integer pixel inside 7 x 5/);
  assert.throws(() => drawGaussian(hm, W, H, 1, 1, 1.5), /radius must be a non-negative integer/);
  assert.throws(() => drawGaussian(hm, W, H, 1, 1, 1, { channels: 2, channel: 0 }), /heatmap has 35 values, expected 5 x 7 x 2/);
});

test('centerNetTargets: centre, size, offset, index and heatmap of hand-placed boxes; crowd, empty and excess boxes', () => {
  const t = centerNetTargets(
    {
      boxes: [
        [8, 12, 40, 28], // /4 -> [2, 3, 10, 7]: w 8, h 4, centre (6, 5)
        [9, 13, 43, 31], // /4 -> [2.25, 3.25, 10.75, 7.75]: w 8.5, h 4.5, centre (6.5, 5.5)
        [0, 0, 30, 30], // crowd
        [20, 20, 20, 40], // no width
        [56, -8, 80, 8], // clipped to [14, 0, 15, 2]: w 1, h 2, centre (14.5, 1)
      ],
      classIds: [1, 0, 0, 1, 2],
      iscrowd: [false, false, true, false, false],
    },
    { inputSize: [64, 64], outputSize: [16, 16], numClasses: 3, maxObjs: 4 },
  );
  assert.is(t.count, 3);
  assert.is(t.dropped, 0);
  assert.equal(Array.from(t.mask), [1, 1, 1, 0]);
  assert.equal(Array.from(t.size), [8, 4, 8.5, 4.5, 1, 2, 0, 0]);
  assert.equal(Array.from(t.offset), [0, 0, 0.5, 0.5, 0.5, 0, 0, 0]);
  // Flat index cy * 16 + cx: 5 * 16 + 6 = 86 (twice), 1 * 16 + 14 = 30.
  assert.equal(Array.from(t.index), [86, 86, 30, 0]);
  const at = (x: number, y: number, c: number) => t.heatmap[(y * 16 + x) * 3 + c];
  assert.is(at(6, 5, 1), 1);
  assert.is(at(6, 5, 0), 1);
  // Box 0: radius int(gaussianRadius(4, 8, 0.7) = 1.47) = 1, sigma 0.5: neighbour e^-2.
  close(at(7, 5, 1), Math.exp(-2), 1e-7);
  assert.is(at(8, 5, 1), 0);
  // Box 1: radius int(gaussianRadius(ceil 5, ceil 9, 0.7)): r3 with a = 2.8, b = -19.6, c = -13.5:
  // (-19.6 + sqrt(384.16 + 151.2)) / 2 = 1.7701 -> 1.
  close(at(6, 4, 0), Math.exp(-2), 1e-7);
  assert.is(at(14, 1, 2), 1);
  const positives = t.heatmap.reduce((n, v) => n + (v === 1 ? 1 : 0), 0);
  assert.is(positives, 3);

  // maxObjs: later valid objects are dropped (not drawn either).
  const many = centerNetTargets(
    { boxes: [[0, 0, 16, 16], [20, 20, 40, 40], [44, 44, 60, 60]], classIds: [0, 0, 0] },
    { inputSize: [64, 64], outputSize: [16, 16], numClasses: 1, maxObjs: 2 },
  );
  assert.is(many.count, 2);
  assert.is(many.dropped, 1);
  assert.is(many.heatmap.reduce((n, v) => n + (v === 1 ? 1 : 0), 0), 2);
  assert.is(many.index.length, 2);
  assert.throws(() => centerNetTargets({ boxes: [[0, 0, 1, 1]], classIds: [3] }, { inputSize: [64, 64], outputSize: [16, 16], numClasses: 3 }), /classIds\[0\] must be an integer in \[0, 3\), got 3/);
  assert.throws(() => centerNetTargets({ boxes: [[0, 0, NaN, 1]], classIds: [0] }, { inputSize: [64, 64], outputSize: [16, 16], numClasses: 3 }), /boxes\[0\] must be 4 finite numbers/);
});

test('cornerNetTargets: corner indices, offsets, radius and heatmaps of hand-placed boxes', () => {
  const t = cornerNetTargets(
    {
      boxes: [
        [8.5, 12, 40, 29.9], // tl /4 = (2.125, 3), br /4 = (10, 7.475)
        [40, 8, 70, 20], // clipped to x2 = 63: br /4 = (15.75, 5)
      ],
      classIds: [0, 1],
    },
    { inputSize: [64, 64], outputSize: [16, 16], numClasses: 2 },
  );
  assert.is(t.count, 2);
  assert.is(t.mask.length, 128);
  assert.equal(Array.from(t.mask.subarray(0, 3)), [1, 1, 0]);
  // tl (2, 3) -> 3 * 16 + 2 = 50, br (10, 7) -> 122; box 1: tl (10, 2) -> 42, br (15, 5) -> 95.
  assert.equal(Array.from(t.tlIndex.subarray(0, 2)), [50, 42]);
  assert.equal(Array.from(t.brIndex.subarray(0, 2)), [122, 95]);
  assert.equal(Array.from(t.tlOffset.subarray(0, 4)), [0.125, 0, 0, 0]);
  const br = Array.from(t.brOffset.subarray(0, 4));
  close(br[0], 0);
  close(br[1], 0.475, 1e-6);
  close(br[2], 0.75);
  close(br[3], 0);
  const at = (hm: Float32Array, x: number, y: number, c: number) => hm[(y * 16 + x) * 2 + c];
  assert.is(at(t.tlHeatmap, 2, 3, 0), 1);
  assert.is(at(t.brHeatmap, 10, 7, 0), 1);
  assert.is(at(t.brHeatmap, 15, 5, 1), 1);
  // Box 0: width ceil(31.5 / 4) = 8, height ceil(17.9 / 4) = 5, radius int(3.0864) = 3,
  // sigma 7 / 6: one pixel right of the tl corner exp(-1 / (2 * 49 / 36)) = exp(-18 / 49).
  close(at(t.tlHeatmap, 3, 3, 0), Math.exp(-18 / 49), 1e-7);
  close(at(t.tlHeatmap, 5, 3, 0), Math.exp(-9 * 18 / 49), 1e-7);
  assert.is(at(t.tlHeatmap, 6, 3, 0), 0, 'outside the radius');
  assert.is(at(t.tlHeatmap, 2, 3, 1), 0, 'other class untouched');
});

test.run();
