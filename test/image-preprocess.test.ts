// Test-time preprocessing on images small enough to check by hand: centred padding, resize,
// CenterNet's affine warp, normalisation, channel order, alpha, ImageData-like input, bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { preprocessCenterNet, preprocessCornerNet } from '../runtime/image/preprocess.js';

// A 4 x 2 RGB image: pixel (x, y) has R = 10 + 10x + 100y, G = 1, B = 2 (0..255 values).
const W = 4;
const H = 2;
const red = (x: number, y: number) => 10 + 10 * x + 100 * y;
const rgb = new Uint8Array(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb.set([red(x, y), 1, 2], (y * W + x) * 3);
const image = { data: rgb, width: W, height: H, channels: 3 as const };
const identity = { mean: [0, 0, 0], std: [1, 1, 1] };

/** Channel c of input pixel (row i, column j), back on the 0..255 scale. */
const pixel = (t: { data: Float32Array; shape: number[] }, i: number, j: number, c = 0) => t.data[(i * t.shape[2] + j) * 3 + c] * 255;

test('CornerNet padding: the image sits centred in a (side | mask) canvas of zeros, pixels unchanged', () => {
  const { input, transform } = preprocessCornerNet(image, { ...identity, sizeMask: 7 });
  // 4 | 7 = 7 and 2 | 7 = 7; left = floor(7/2) - floor(4/2) = 1, top = floor(7/2) - floor(2/2) = 2.
  assert.equal(input.shape, [1, 7, 7, 3]);
  assert.equal([transform.offsetX, transform.offsetY, transform.scale], [1, 2, 1]);
  for (let i = 0; i < 7; i++) {
    for (let j = 0; j < 7; j++) {
      const inside = i >= 2 && i < 4 && j >= 1 && j < 5;
      assert.ok(Math.abs(pixel(input, i, j, 0) - (inside ? red(j - 1, i - 2) : 0)) < 1e-3, `R at (${i}, ${j})`);
      assert.ok(Math.abs(pixel(input, i, j, 2) - (inside ? 2 : 0)) < 1e-4, `B at (${i}, ${j})`);
    }
  }
});

test('CornerNet default mask 127 gives a 127 x 127 input; a fixed smaller input crops around the centre', () => {
  assert.equal(preprocessCornerNet(image, identity).input.shape, [1, 127, 127, 3]);
  const { input, transform } = preprocessCornerNet(image, { ...identity, inputWidth: 2, inputHeight: 2 });
  // left = 1 - 2 = -1: columns 1 and 2 of the image; top = 1 - 1 = 0.
  assert.equal([transform.offsetX, transform.offsetY], [-1, 0]);
  assert.equal([0, 1].map((j) => Math.round(pixel(input, 1, j))), [red(1, 1), red(2, 1)]);
});

test('CornerNet resize by 2: bilinear between pixels, half of the edge pixel where it meets the zero border', () => {
  const { input, transform } = preprocessCornerNet(image, { ...identity, scale: 2, sizeMask: 7 });
  // 8 x 4 resized; 8 | 7 = 15, 4 | 7 = 7; left = 7 - 4 = 3, top = 3 - 2 = 1. Input column j reads x = (j - 3) / 2.
  assert.equal(input.shape, [1, 7, 15, 3]);
  assert.equal([transform.offsetX, transform.offsetY, transform.scale], [3, 1, 2]);
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-3;
  assert.ok(near(pixel(input, 1, 3), red(0, 0)), 'exact pixel at x = 0, y = 0');
  assert.ok(near(pixel(input, 1, 4), (red(0, 0) + red(1, 0)) / 2), 'x = 0.5');
  assert.ok(near(pixel(input, 2, 4), (red(0, 0) + red(1, 0) + red(0, 1) + red(1, 1)) / 4), 'x = 0.5, y = 0.5');
  assert.ok(near(pixel(input, 1, 10), red(3, 0) / 2), 'x = 3.5 blends with the zero border');
  assert.ok(near(pixel(input, 1, 2), red(0, 0) / 2), 'x = -0.5 blends with the zero border');
  assert.ok(near(pixel(input, 1, 1), 0), 'x = -1 is border');
});

test('CenterNet affine: the max(h, w) square around the centre fills the input', () => {
  // s = max(4, 2) = 4 onto 8 x 8: scale 2, x_in = 2x, y_in = 2(y - 1) + 4 = 2y + 2.
  const { input, transform } = preprocessCenterNet(image, { ...identity, inputWidth: 8, inputHeight: 8 });
  assert.equal([transform.scale, transform.offsetX, transform.offsetY], [2, 0, 2]);
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-3;
  assert.ok(near(pixel(input, 2, 0), red(0, 0)));
  assert.ok(near(pixel(input, 4, 6), red(3, 1)));
  assert.ok(near(pixel(input, 3, 1), (red(0, 0) + red(1, 0) + red(0, 1) + red(1, 1)) / 4));
  assert.ok(near(pixel(input, 0, 3), 0), 'above the image: border');
  assert.ok(near(pixel(input, 7, 3), 0), 'below the image: border');
  assert.ok(near(pixel(input, 1, 0), red(0, 0) / 2), 'y = -0.5 blends with the border');
});

test('normalisation: (v / 255 - mean) / std per channel, padding = -mean / std; bgr swaps R and B', () => {
  const mean = [0.4, 0.5, 0.6];
  const std = [0.2, 0.25, 0.3];
  const { input } = preprocessCornerNet(image, { mean, std, sizeMask: 7 });
  const at = (i: number, j: number, c: number) => input.data[(i * 7 + j) * 3 + c];
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-5;
  assert.ok(close(at(2, 1, 0), (red(0, 0) / 255 - 0.4) / 0.2));
  assert.ok(close(at(2, 1, 1), (1 / 255 - 0.5) / 0.25));
  assert.ok(close(at(0, 0, 2), -0.6 / 0.3), 'padding');
  const bgr = preprocessCornerNet(image, { mean, std, sizeMask: 7, channelOrder: 'bgr' }).input;
  assert.ok(close(bgr.data[(2 * 7 + 1) * 3 + 0], (2 / 255 - 0.4) / 0.2), 'channel 0 is blue');
  assert.ok(close(bgr.data[(2 * 7 + 1) * 3 + 2], (red(0, 0) / 255 - 0.6) / 0.3), 'channel 2 is red');
});

test('RGBA ignores alpha; ImageData-like objects (no channels field, Uint8ClampedArray) are accepted', () => {
  const rgba = new Uint8ClampedArray(W * H * 4);
  for (let p = 0; p < W * H; p++) rgba.set([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], (p * 37) % 256], p * 4);
  class FakeImageData {
    constructor(readonly data: Uint8ClampedArray, readonly width: number, readonly height: number) {}
  }
  const expected = preprocessCornerNet(image, { ...identity, sizeMask: 7 }).input.data;
  assert.equal(preprocessCornerNet(new FakeImageData(rgba, W, H), { ...identity, sizeMask: 7 }).input.data, expected);
  assert.equal(preprocessCornerNet({ data: rgba, width: W, height: H, channels: 4 }, { ...identity, sizeMask: 7 }).input.data, expected);
  // 0..255 floats read the same as bytes; RGB inferred from the length.
  assert.equal(preprocessCornerNet({ data: Float32Array.from(rgb), width: W, height: H }, { ...identity, sizeMask: 7 }).input.data, expected);
});

test('bad images and options are Errors naming what is wrong', () => {
  const opts = { ...identity, sizeMask: 7 };
  assert.throws(() => preprocessCornerNet({ data: new Uint8Array(23), width: 4, height: 2, channels: 3 }, opts), /image\.data has 23 values but width \* height \* channels = 4 \* 2 \* 3 = 24/);
  assert.throws(() => preprocessCornerNet({ data: new Uint8Array(20), width: 4, height: 2 }, opts), /needs 32 \(RGBA\) or 24 \(RGB\)/);
  assert.throws(() => preprocessCornerNet({ data: new Uint8Array(8), width: 4, height: 2, channels: 1 as 3 }, opts), /image\.channels must be 3 \(RGB\) or 4 \(RGBA\), got 1/);
  assert.throws(() => preprocessCornerNet({ data: new Uint8Array(0), width: 0, height: 2 }, opts), /image\.width must be a positive integer, got 0/);
  assert.throws(() => preprocessCenterNet({ data: new Uint8Array(0), width: 3, height: 0 }, { ...identity, inputWidth: 8, inputHeight: 8 }), /image\.height must be a positive integer/);
  assert.throws(() => preprocessCornerNet({ data: [1, 2, 3] as unknown as Uint8Array, width: 1, height: 1 }, opts), /image\.data must be a Uint8Array/);
  assert.throws(() => preprocessCornerNet(null as never, opts), /image must be/);
  assert.throws(() => preprocessCornerNet(image, { mean: [0, 0], std: [1, 1, 1] }), /options\.mean must be 3 finite numbers/);
  assert.throws(() => preprocessCornerNet(image, { mean: [0, 0, 0], std: [1, 0, 1] }), /options\.std must be 3 finite numbers > 0/);
  assert.throws(() => preprocessCornerNet(image, { ...opts, scale: 0 }), /options\.scale must be a positive number/);
  assert.throws(() => preprocessCornerNet(image, { ...opts, scale: 0.1 }), /shrinks the 4x2 image to nothing/);
  assert.throws(() => preprocessCenterNet(image, { ...identity, inputWidth: 0, inputHeight: 8 }), /options\.inputWidth must be a positive integer/);
  assert.throws(() => preprocessCenterNet(image, { ...identity, inputWidth: 8, inputHeight: 8, channelOrder: 'rbg' as 'rgb' }), /options\.channelOrder must be 'rgb' or 'bgr'/);
});

test.run();
