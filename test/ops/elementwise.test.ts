import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from '../helpers/kernels.js';
import { specKernels } from '../helpers/spec-kernels.js';
import { maxRelError, randomF32 } from '../helpers/random.js';
import {
  affineChannelsInto, concatChannelsInto, expInto, reluInto, sigmoid, sigmoidInto, upsampleNearestInto,
} from '../../runtime/ops/elementwise.js';
import { Guarded, sameValues } from './pool-helpers.js';

const SIZES = [0, 1, 3, 4, 5, 15, 16, 17, 33, 1000];
const SPECIALS = [0, -0, 1, -1, 1e-8, -1e-8, 20, -20, 88, 88.7, 89, -87, -100, -103, -104, -120, 1e30, -1e30, Infinity, -Infinity, NaN];

/** Values spread over exp's whole range, then the special cases. */
function inputs(n: number, seed: number): Float32Array {
  const x = randomF32(n, seed, -110, 95);
  SPECIALS.forEach((v, i) => {
    if (i < n) x[(i * 7) % n] = v;
  });
  return x;
}

/** Relative error, with NaN == NaN and inf == inf; results below the normal range compared absolutely. */
function relErr(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  if (Math.abs(b) < 1.2e-38) return Math.abs(a - b) < 2e-44 ? 0 : Infinity; // denormals: a few ulps
  return Math.abs(a - b) / Math.abs(b);
}

for (const [name, into, ref, spec] of [
  ['exp', expInto, Math.exp, 'expF32Scalar'],
  ['sigmoid', sigmoidInto, (v: number) => 1 / (1 + Math.exp(-v)), 'sigmoidF32Scalar'],
] as const) {
  test(`${name}: SIMD kernel and scalar spec within 1e-6 relative of Math (float64), NaN/inf handled`, async () => {
    const kn = await loadKernels();
    for (const n of SIZES) {
      const x = new Guarded(kn, n, inputs(n, n + name.length));
      const simd = new Guarded(kn, n);
      const scalar = new Guarded(kn, n);
      into(kn, x.ptr, simd.ptr, n);
      specKernels(kn)[spec](x.ptr, scalar.ptr, n);
      const xs = x.f32();
      for (let i = 0; i < n; i++) {
        const expected = Math.fround(ref(xs[i]));
        assert.ok(relErr(simd.f32()[i], expected) <= 1e-6, `${name}(${xs[i]}) = ${simd.f32()[i]}, expected ${expected}`);
        assert.ok(relErr(scalar.f32()[i], expected) <= 1e-6, `spec ${name}(${xs[i]}) = ${scalar.f32()[i]}, expected ${expected}`);
      }
      [x, simd, scalar].forEach((g) => g.check(`${name} n=${n}`));
      into(kn, x.ptr, x.ptr, n); // in place
      assert.is(sameValues(x.f32(), simd.f32()), undefined, `${name} in place`);
      [x, simd, scalar].forEach((g) => g.release());
    }
  });
}

test('exp(0) is exactly 1 and sigmoid saturates without NaN', async () => {
  const kn = await loadKernels();
  const x = new Guarded(kn, 8, [0, -0, 1e4, -1e4, Infinity, -Infinity, 200, -200]);
  const out = new Guarded(kn, 8);
  expInto(kn, x.ptr, out.ptr, 8);
  assert.equal(Array.from(out.f32()), [1, 1, Infinity, 0, Infinity, 0, Infinity, 0]);
  sigmoidInto(kn, x.ptr, out.ptr, 8);
  assert.equal(Array.from(out.f32()), [0.5, 0.5, 1, 0, 1, 0, 1, 0]);
  [x, out].forEach((g) => g.release());
});

test('sigmoid (tensor form) keeps the shape and matches 1 / (1 + exp(-x))', async () => {
  await loadKernels();
  const x = randomF32(2 * 3 * 5 * 7, 3, -12, 12);
  const y = sigmoid({ data: x, shape: [2, 3, 5, 7] });
  assert.equal(y.shape, [2, 3, 5, 7]);
  assert.ok(maxRelError(y.data, Array.from(x, (v) => 1 / (1 + Math.exp(-v)))) <= 1e-6);
  assert.throws(() => sigmoid({ data: new Float32Array(3), shape: [2, 2] }), /sigmoid: x.data has 3 elements but shape \[2,2\] needs 4/);
});

test('relu: SIMD equals the scalar spec and max(x, 0), in place too', async () => {
  const kn = await loadKernels();
  for (const n of SIZES) {
    const data = randomF32(n, n + 5);
    if (n > 2) data.set([NaN, -0], n - 2);
    const x = new Guarded(kn, n, data);
    const simd = new Guarded(kn, n);
    const scalar = new Guarded(kn, n);
    reluInto(kn, x.ptr, simd.ptr, n);
    specKernels(kn).reluF32Scalar(x.ptr, scalar.ptr, n);
    const expected = Array.from(data, (v) => (v < 0 ? 0 : v));
    assert.is(sameValues(simd.f32(), expected), undefined, `n=${n}`);
    assert.is(sameValues(scalar.f32(), expected), undefined, `spec n=${n}`);
    reluInto(kn, x.ptr, x.ptr, n);
    assert.is(sameValues(x.f32(), expected), undefined, `in place n=${n}`);
    [x, simd, scalar].forEach((g) => g.check(`relu n=${n}`));
    [x, simd, scalar].forEach((g) => g.release());
  }
});

test('upsampleNearest: out[y, x] = x[floor(y / f), floor(x / f)], SIMD and spec, inside the buffers', async () => {
  const kn = await loadKernels();
  for (const [n, h, w, c, f] of [[1, 1, 1, 1, 1], [1, 2, 3, 1, 2], [2, 3, 2, 4, 2], [1, 4, 3, 5, 3], [1, 3, 3, 17, 2], [2, 2, 5, 3, 4]]) {
    const data = randomF32(n * h * w * c, n + h + w + c + f);
    const size = n * h * w * c * f * f;
    const expected = new Float32Array(size);
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < h * f; y++) {
        for (let x = 0; x < w * f; x++) {
          for (let ch = 0; ch < c; ch++) {
            expected[((b * h * f + y) * w * f + x) * c + ch] = data[((b * h + Math.floor(y / f)) * w + Math.floor(x / f)) * c + ch];
          }
        }
      }
    }
    const x = new Guarded(kn, data.length, data);
    const simd = new Guarded(kn, size);
    const scalar = new Guarded(kn, size);
    upsampleNearestInto(kn, x.ptr, [n, h, w, c], f, simd.ptr);
    specKernels(kn).upsampleNearestNhwcScalar(x.ptr, n, h, w, c, f, scalar.ptr);
    const label = `[${n},${h},${w},${c}] x${f}`;
    assert.is(sameValues(simd.f32(), expected), undefined, label);
    assert.is(sameValues(scalar.f32(), expected), undefined, `spec ${label}`);
    [x, simd, scalar].forEach((g) => g.check(label));
    [x, simd, scalar].forEach((g) => g.release());
  }
});

test('concatChannels: inputs side by side along channels, SIMD and spec, inside the buffers', async () => {
  const kn = await loadKernels();
  for (const channels of [[1, 1], [3, 5], [4, 4], [16, 17], [2, 20, 3], [7]]) {
    const pixels = 11;
    const total = channels.reduce((a, b) => a + b, 0);
    const parts = channels.map((c, i) => randomF32(pixels * c, 40 + i + c));
    const expected = new Float32Array(pixels * total);
    for (let p = 0; p < pixels; p++) {
      let off = 0;
      channels.forEach((c, i) => {
        expected.set(parts[i].subarray(p * c, (p + 1) * c), p * total + off);
        off += c;
      });
    }
    const inputs = parts.map((d) => new Guarded(kn, d.length, d));
    const out = new Guarded(kn, pixels * total);
    concatChannelsInto(kn, inputs.map((g, i) => ({ ptr: g.ptr, channels: channels[i] })), pixels, out.ptr);
    assert.is(sameValues(out.f32(), expected), undefined, `[${channels}]`);
    const spec = new Guarded(kn, pixels * total);
    let off = 0;
    inputs.forEach((g, i) => {
      specKernels(kn).copyChannelsNhwcScalar(g.ptr, pixels, channels[i], spec.ptr, total, off);
      off += channels[i];
    });
    assert.is(sameValues(spec.f32(), expected), undefined, `spec [${channels}]`);
    [...inputs, out, spec].forEach((g) => g.check(`[${channels}]`));
    [...inputs, out, spec].forEach((g) => g.release());
  }
});

test('affineChannels: x * scale[c] + shift[c] (+ ReLU) within 1e-6 of float64, SIMD and spec, in place too', async () => {
  const kn = await loadKernels();
  for (const c of [1, 3, 4, 5, 16, 17, 33]) {
    for (const relu of [false, true]) {
      const pixels = 9;
      const data = randomF32(pixels * c, c, -4, 4);
      const sc = randomF32(c, c + 1, -2, 2);
      const sh = randomF32(c, c + 2, -1, 1);
      const expected = Array.from(data, (v, i) => {
        const y = v * sc[i % c] + sh[i % c];
        return relu ? Math.max(y, 0) : y;
      });
      const [x, scale, shift, simd, scalar] = [data, sc, sh, pixels * c, pixels * c].map((d) => (typeof d === 'number' ? new Guarded(kn, d) : new Guarded(kn, d.length, d)));
      affineChannelsInto(kn, x.ptr, pixels, c, scale.ptr, shift.ptr, relu, simd.ptr);
      specKernels(kn).affineChannelsNhwcScalar(x.ptr, pixels, c, scale.ptr, shift.ptr, relu ? 1 : 0, scalar.ptr);
      const label = `c=${c} relu=${relu}`;
      // error relative to the size of the terms: the sum may cancel to near 0
      const scaleOf = (i: number) => Math.abs(data[i] * sc[i % c]) + Math.abs(sh[i % c]);
      const err = (y: Float32Array) => Math.max(...Array.from(y, (v, i) => Math.abs(v - expected[i]) / scaleOf(i)));
      assert.ok(err(simd.f32()) <= 1e-6, `${label}: ${err(simd.f32())}`);
      assert.ok(err(scalar.f32()) <= 1e-6, `spec ${label}: ${err(scalar.f32())}`);
      if (relu) assert.ok(simd.f32().every((v) => v >= 0));
      affineChannelsInto(kn, x.ptr, pixels, c, scale.ptr, shift.ptr, relu, x.ptr);
      assert.is(sameValues(x.f32(), simd.f32()), undefined, `in place ${label}`);
      [x, scale, shift, simd, scalar].forEach((g) => g.check(label));
      [x, scale, shift, simd, scalar].forEach((g) => g.release());
    }
  }
});

test('element-wise entry points reject bad arguments with errors that name them', async () => {
  const kn = await loadKernels();
  const end = kn.exports.memory.buffer.byteLength;
  assert.throws(() => sigmoidInto(kn, 0, end - 4, 2), /sigmoidInto: out .* is outside kernel memory/);
  assert.throws(() => reluInto(kn, 0, 0, -1), /reluInto: n must be a non-negative integer/);
  assert.throws(() => expInto(kn, 2, 0, 1), /expInto: x must be a 4-byte aligned pointer/);
  assert.throws(() => upsampleNearestInto(kn, 0, [1, 2, 2, 1], 0, 0), /factor must be a positive integer/);
  assert.throws(() => upsampleNearestInto(kn, 0, [2, 2, 1], 2, 0), /shape must be \[n, h, w, c\]/);
  assert.throws(() => concatChannelsInto(kn, [{ ptr: 0, channels: 1.5 }], 4, 0), /inputs\[0\].channels must be a non-negative integer/);
  assert.throws(() => affineChannelsInto(kn, 0, 4, 2, end, 0, false, 0), /scale .* is outside kernel memory/);
});

test.run();
