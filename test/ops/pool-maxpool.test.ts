import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from '../helpers/kernels.js';
import { specKernels } from '../helpers/spec-kernels.js';
import { randomF32 } from '../helpers/random.js';
import { tfCpu } from '../helpers/tf.js';
import { maxPool2d, maxPool2dInto, poolGeometry, poolOutputSize } from '../../runtime/ops/pooling.js';
import { contractCases, f32Of, Guarded, sameValues, shapeOf } from './pool-helpers.js';

type Pad = number | [number, number, number, number];
const cases: { shape: [number, number, number, number]; kernel: number | [number, number]; stride: number | [number, number]; pad: Pad }[] = [
  { shape: [1, 7, 9, 3], kernel: 3, stride: 1, pad: 1 },
  { shape: [2, 16, 15, 8], kernel: 3, stride: 2, pad: 1 },
  { shape: [1, 10, 10, 4], kernel: 2, stride: 2, pad: 0 },
  { shape: [3, 5, 6, 17], kernel: 3, stride: 2, pad: 1 },
  { shape: [1, 13, 11, 1], kernel: 5, stride: 3, pad: 2 },
  { shape: [2, 9, 8, 20], kernel: [3, 2], stride: [2, 1], pad: [1, 0, 0, 1] },
  { shape: [1, 4, 4, 33], kernel: 4, stride: 1, pad: [2, 1, 0, 2] },
  { shape: [1, 1, 1, 5], kernel: 1, stride: 1, pad: 0 },
];

test('maxPool2d equals TensorFlow.js max pooling of the input padded with -Infinity', async () => {
  await loadKernels();
  const tf = await tfCpu();
  cases.forEach(({ shape, kernel, stride, pad }, i) => {
    const x = randomF32(shape.reduce((a, b) => a * b, 1), 100 + i, -5, 5);
    const y = maxPool2d({ data: x, shape }, { kernel, stride, pad });
    const [t, b, l, r] = typeof pad === 'number' ? [pad, pad, pad, pad] : pad;
    const kk = typeof kernel === 'number' ? [kernel, kernel] : kernel;
    const ss = typeof stride === 'number' ? [stride, stride] : stride;
    const ref = tf.tidy(() => {
      const padded = tf.pad(tf.tensor4d(x, shape), [[0, 0], [t, b], [l, r], [0, 0]], -Infinity);
      return tf.maxPool(padded, kk as [number, number], ss as [number, number], 'valid');
    });
    assert.equal(y.shape, ref.shape, `case ${i} shape`);
    const diff = sameValues(y.data, ref.dataSync());
    ref.dispose();
    assert.is(diff, undefined, `case ${i}: ${diff}`);
  });
});

test('maxPool2dNhwc (SIMD) equals its scalar spec around the 4- and 16-channel tiles, inside its buffers', async () => {
  const kn = await loadKernels();
  for (const c of [1, 3, 4, 5, 15, 16, 17, 33]) {
    for (const [kernel, stride, pad] of [[3, 1, 1], [3, 2, 1], [2, 2, 0], [5, 2, 2]]) {
      const [n, h, w] = [2, 7, 6];
      const g = poolGeometry('test', { kernel, stride, pad });
      const [oh, ow] = poolOutputSize('test', h, w, g);
      const x = new Guarded(kn, n * h * w * c, randomF32(n * h * w * c, c * 7 + kernel));
      const simd = new Guarded(kn, n * oh * ow * c);
      const scalar = new Guarded(kn, n * oh * ow * c);
      kn.exports.maxPool2dNhwc(x.ptr, n, h, w, c, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft, oh, ow, simd.ptr);
      specKernels(kn).maxPool2dNhwcScalar(x.ptr, n, h, w, c, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft, oh, ow, scalar.ptr);
      assert.is(sameValues(simd.f32(), scalar.f32()), undefined, `c=${c} k=${kernel} s=${stride} p=${pad}`);
      x.check('x');
      simd.check('simd out');
      scalar.check('scalar out');
      [x, simd, scalar].forEach((b) => b.release());
    }
  }
});

test('maxPool2d propagates NaN like PyTorch, in both kernels', async () => {
  const kn = await loadKernels();
  const x = new Float32Array(1 * 4 * 4 * 5).fill(1);
  x[(1 * 4 + 1) * 5 + 2] = NaN; // pixel (1, 1), channel 2
  const y = maxPool2d({ data: x, shape: [1, 4, 4, 5] }, { kernel: 2, stride: 2 });
  assert.ok(Number.isNaN(y.data[2]), 'window (0, 0) holds the NaN');
  assert.is(y.data[1], 1);
  assert.is(y.data[5 + 2], 1, 'window (0, 1) does not');
  const px = kn.heap.allocF32(x);
  const out = kn.heap.alloc(4 * 5 * 4);
  specKernels(kn).maxPool2dNhwcScalar(px, 1, 4, 4, 5, 2, 2, 2, 2, 0, 0, 2, 2, out);
  assert.ok(Number.isNaN(kn.heap.f32(out, 20)[2]));
  kn.heap.release(out);
  kn.heap.release(px);
});

for (const [i, c] of contractCases('maxPool2d.json').entries()) {
  test(`maxPool2d contract case ${i} (PyTorch): kernel ${c.kernel}, stride ${c.stride}, pad ${c.pad}`, async () => {
    await loadKernels();
    const y = maxPool2d({ data: f32Of(c.x), shape: shapeOf(c.x) }, { kernel: c.kernel as number, stride: c.stride as number, pad: c.pad as number });
    assert.equal(y.shape, shapeOf(c.y));
    assert.is(sameValues(y.data, f32Of(c.y)), undefined);
  });
}

test('maxPool2d: stride defaults to the kernel, pad to 0', async () => {
  await loadKernels();
  const x = Float32Array.from({ length: 16 }, (_, i) => i);
  const y = maxPool2d({ data: x, shape: [1, 4, 4, 1] }, { kernel: 2 });
  assert.equal(y.shape, [1, 2, 2, 1]);
  assert.equal(Array.from(y.data), [5, 7, 13, 15]);
});

test('maxPool2d rejects bad input with errors that name the argument', async () => {
  const kn = await loadKernels();
  const x = { data: new Float32Array(2 * 3 * 3), shape: [2, 3, 3] };
  assert.throws(() => maxPool2d(x, { kernel: 2 }), /maxPool2d: x must have rank 4/);
  const x4 = { data: new Float32Array(9), shape: [1, 3, 3, 1] };
  assert.throws(() => maxPool2d({ data: new Float32Array(8), shape: [1, 3, 3, 1] }, { kernel: 2 }), /x.data has 8 elements/);
  assert.throws(() => maxPool2d(x4, { kernel: 0 }), /kernel must be a positive integer/);
  assert.throws(() => maxPool2d(x4, { kernel: 2.5 }), /kernel must be a positive integer/);
  assert.throws(() => maxPool2d(x4, { kernel: 3, stride: [1] as unknown as number }), /stride must be a positive integer or a pair/);
  assert.throws(() => maxPool2d(x4, { kernel: 3, pad: 2 }), /pad \[2,2,2,2\] must be at most half the kernel/);
  assert.throws(() => maxPool2d(x4, { kernel: 3, pad: [1, 1, 1] as unknown as number }), /pad must be a number or \[top, bottom, left, right\]/);
  assert.throws(() => maxPool2d(x4, { kernel: 3, pad: -1 }), /pad\[0\] must be a non-negative integer/);
  assert.throws(() => maxPool2d(x4, { kernel: 5 }), /input 3x3 .* is smaller than the 5x5 window/);
  assert.throws(() => maxPool2d(x4, undefined as unknown as { kernel: number }), /options \{ kernel, stride\?, pad\? \} are required/);
  const g = poolGeometry('t', { kernel: 2 });
  const huge = kn.exports.memory.buffer.byteLength;
  assert.throws(() => maxPool2dInto(kn, huge, [1, 3, 3, 1], g, 0), /maxPool2dInto: x .* is outside kernel memory/);
  assert.throws(() => maxPool2dInto(kn, 0, [1, 3, 3], g, 0), /shape must be \[n, h, w, c\]/);
});

test.run();
