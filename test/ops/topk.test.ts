import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from '../helpers/kernels.js';
import { specKernels } from '../helpers/spec-kernels.js';
import { randomF32, rng } from '../helpers/random.js';
import { tfCpu } from '../helpers/tf.js';
import { topK, topKInto } from '../../runtime/ops/select.js';
import { contractCases, f32Of, Guarded, i32Of, sameValues } from './pool-helpers.js';

/** DESIGN's rule as a plain sort: larger value first, then lower index; NaN below every number. */
function reference(values: Float32Array, k: number): { values: number[]; indices: number[] } {
  const order = Array.from(values, (_, i) => i).sort((a, b) => {
    const va = values[a];
    const vb = values[b];
    if (Number.isNaN(va) || Number.isNaN(vb)) return Number.isNaN(va) === Number.isNaN(vb) ? a - b : Number.isNaN(va) ? 1 : -1;
    return va === vb ? a - b : vb - va;
  });
  return { values: order.slice(0, k).map((i) => values[i]), indices: order.slice(0, k) };
}

/** Random values with many ties (few distinct values) when `levels` is set. */
function data(n: number, seed: number, levels?: number): Float32Array {
  const v = randomF32(n, seed, -10, 10);
  if (levels) for (let i = 0; i < n; i++) v[i] = Math.floor((v[i] + 10) / 20 * levels);
  return v;
}

test('topK equals tf.topk (values and indices, ties included) on random arrays', async () => {
  await loadKernels();
  const tf = await tfCpu();
  const sizes: [number, number][] = [[1, 1], [5, 3], [16, 16], [17, 4], [100, 10], [1000, 100], [4099, 1], [50000, 100], [20000, 2000]];
  sizes.forEach(([n, k], i) => {
    for (const levels of [undefined, 7]) {
      const v = data(n, 500 + i, levels);
      const ours = topK(v, k);
      const ref = tf.tidy(() => tf.topk(tf.tensor1d(v), k, true));
      assert.is(sameValues(ours.values, ref.values.dataSync()), undefined, `n=${n} k=${k} levels=${levels} values`);
      assert.is(sameValues(ours.indices, ref.indices.dataSync()), undefined, `n=${n} k=${k} levels=${levels} indices`);
      ref.values.dispose();
      ref.indices.dispose();
    }
  });
});

test('topKF32 (SIMD selection) equals topKF32Scalar (full sort) around the 16-wide scan, with NaN, -Infinity and ties', async () => {
  const kn = await loadKernels();
  const r = rng(9);
  for (const n of [1, 2, 3, 4, 5, 15, 16, 17, 31, 32, 33, 100, 257]) {
    for (const kind of ['random', 'ties', 'specials', 'ascending', 'descending']) {
      const v = data(n, n * 3 + kind.length, kind === 'ties' ? 3 : undefined);
      if (kind === 'specials') for (let i = 0; i < n; i++) if (r() < 0.3) v[i] = [NaN, -Infinity, Infinity, 0, -0][Math.floor(r() * 5)];
      if (kind === 'ascending') v.sort();
      if (kind === 'descending') v.sort().reverse();
      for (const k of new Set([1, Math.ceil(n / 3), n])) {
        const pv = new Guarded(kn, n, v);
        const sv = new Guarded(kn, k);
        const si = new Guarded(kn, k);
        const order = new Guarded(kn, n);
        const fv = new Guarded(kn, k);
        const fi = new Guarded(kn, k);
        kn.exports.topKF32(pv.ptr, n, k, fv.ptr, fi.ptr);
        specKernels(kn).topKF32Scalar(pv.ptr, n, k, order.ptr, sv.ptr, si.ptr);
        const label = `n=${n} k=${k} ${kind}`;
        assert.is(sameValues(fi.i32(), si.i32()), undefined, `${label} indices`);
        assert.is(sameValues(fv.f32(), sv.f32()), undefined, `${label} values`);
        const ref = reference(v, k);
        assert.is(sameValues(si.i32(), ref.indices), undefined, `${label} spec vs sort`);
        [pv, sv, si, order, fv, fi].forEach((g) => g.check(label));
        [pv, sv, si, order, fv, fi].forEach((g) => g.release());
      }
    }
  }
});

test('topK: NaN ranks last, after -Infinity, NaNs in index order', async () => {
  await loadKernels();
  const v = Float32Array.from([NaN, 1, -Infinity, NaN, 1, 3]);
  const r = topK(v, 6);
  assert.equal(Array.from(r.indices), [5, 1, 4, 2, 0, 3]);
  assert.equal(Array.from(r.values.slice(0, 4)), [3, 1, 1, -Infinity]);
  assert.ok(Number.isNaN(r.values[4]) && Number.isNaN(r.values[5]));
  assert.equal(Array.from(topK(v, 2).indices), [5, 1]);
  assert.equal(topK(v, 0).indices.length, 0);
});

for (const [i, c] of contractCases('topK.json').entries()) {
  test(`topK contract case ${i} (PyTorch): k=${c.k}`, async () => {
    await loadKernels();
    const r = topK(f32Of(c.values), c.k as number);
    assert.is(sameValues(r.values, f32Of(c.topValues)), undefined);
    assert.is(sameValues(r.indices, i32Of(c.topIndices)), undefined);
  });
}

test('topK rejects bad input with errors that name the argument', async () => {
  const kn = await loadKernels();
  assert.throws(() => topK([1, 2] as unknown as Float32Array, 1), /topK: values must be a Float32Array, got Array/);
  assert.throws(() => topK(new Float32Array(3), 4), /topK: k \(4\) is larger than the number of candidates \(3\)/);
  assert.throws(() => topK(new Float32Array(3), -1), /k must be a non-negative integer/);
  assert.throws(() => topK(new Float32Array(3), 1.5), /k must be a non-negative integer/);
  assert.throws(() => topKInto(kn, 0, 10, 11, 0, 0), /topKInto: k \(11\) is larger/);
  assert.throws(() => topKInto(kn, kn.exports.memory.buffer.byteLength - 8, 10, 1, 0, 0), /values .* is outside kernel memory/);
});

test.run();
