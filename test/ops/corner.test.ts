import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from '../helpers/kernels.js';
import { specKernels } from '../helpers/spec-kernels.js';
import { randomF32 } from '../helpers/random.js';
import { cornerPool, cornerPoolInto, cornerPoolPairAddInto, type CornerDirection } from '../../runtime/ops/pooling.js';
import { contractCases, f32Of, Guarded, sameValues, shapeOf } from './pool-helpers.js';

const DIRS: CornerDirection[] = ['top', 'left', 'bottom', 'right'];
const CODE: Record<CornerDirection, number> = { top: 0, left: 1, bottom: 2, right: 3 };

/** DESIGN.md's definition, one element at a time: the max over a range of rows or columns. */
function reference(x: Float32Array, [n, h, w, c]: number[], dir: CornerDirection): Float32Array {
  const out = new Float32Array(x.length);
  const at = (b: number, y: number, xx: number, ch: number) => x[((b * h + y) * w + xx) * c + ch];
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        for (let ch = 0; ch < c; ch++) {
          let m = -Infinity;
          if (dir === 'top') for (let r = y; r < h; r++) m = Math.max(m, at(b, r, xx, ch)); // rows at or below
          if (dir === 'bottom') for (let r = 0; r <= y; r++) m = Math.max(m, at(b, r, xx, ch)); // rows at or above
          if (dir === 'left') for (let q = xx; q < w; q++) m = Math.max(m, at(b, y, q, ch)); // columns at or to the right
          if (dir === 'right') for (let q = 0; q <= xx; q++) m = Math.max(m, at(b, y, q, ch)); // columns at or to the left
          out[((b * h + y) * w + xx) * c + ch] = m;
        }
      }
    }
  }
  return out;
}

const shapes = [
  [1, 1, 1, 1],
  [1, 5, 7, 3],
  [2, 6, 5, 4],
  [1, 4, 9, 5],
  [3, 7, 3, 16],
  [1, 3, 4, 17],
  [2, 9, 23, 13],
  [1, 8, 8, 36],
];

test('cornerPool equals the definition (max over rows/columns) in all four directions', async () => {
  await loadKernels();
  shapes.forEach((shape, i) => {
    const x = randomF32(shape.reduce((a, b) => a * b, 1), 200 + i, -3, 3);
    for (const dir of DIRS) {
      const y = cornerPool({ data: x, shape }, dir);
      assert.equal(y.shape, shape);
      assert.is(sameValues(y.data, reference(x, shape, dir)), undefined, `${dir} [${shape}]`);
    }
  });
});

test('cornerPoolNhwc (SIMD) equals its scalar spec around the tiles, in place too, inside its buffers', async () => {
  const kn = await loadKernels();
  for (const c of [1, 3, 4, 5, 15, 16, 17, 20, 33]) {
    for (const dir of DIRS) {
      const [n, h, w] = [2, 5, 6];
      const size = n * h * w * c;
      const data = randomF32(size, c * 13 + CODE[dir]);
      const x = new Guarded(kn, size, data);
      const simd = new Guarded(kn, size);
      const scalar = new Guarded(kn, size);
      kn.exports.cornerPoolNhwc(x.ptr, n, h, w, c, CODE[dir], simd.ptr);
      specKernels(kn).cornerPoolNhwcScalar(x.ptr, n, h, w, c, CODE[dir], scalar.ptr);
      assert.is(sameValues(simd.f32(), scalar.f32()), undefined, `c=${c} ${dir}`);
      kn.exports.cornerPoolNhwc(x.ptr, n, h, w, c, CODE[dir], x.ptr); // out aliasing x
      assert.is(sameValues(x.f32(), scalar.f32()), undefined, `c=${c} ${dir} in place`);
      [x, simd, scalar].forEach((b, j) => b.check(['x', 'simd', 'scalar'][j]));
      [x, simd, scalar].forEach((b) => b.release());
    }
  }
});

test('cornerPoolPairAdd: top(a) + left(b) and bottom(a) + right(b) equal the two pools summed, SIMD and spec', async () => {
  const kn = await loadKernels();
  for (const shape of [[1, 5, 7, 3], [2, 6, 5, 16], [1, 4, 9, 21], [1, 1, 3, 4]]) {
    const [n, h, w, c] = shape;
    const size = n * h * w * c;
    const a = randomF32(size, 300 + c);
    const b = randomF32(size, 400 + c);
    for (const [va, hb] of [['top', 'left'], ['bottom', 'right']] as ['top' | 'bottom', 'left' | 'right'][]) {
      const ra = reference(a, shape, va);
      const rb = reference(b, shape, hb);
      const expected = Float32Array.from(ra, (v, i) => v + rb[i]);
      const pa = new Guarded(kn, size, a);
      const pb = new Guarded(kn, size, b);
      const out = new Guarded(kn, size);
      cornerPoolPairAddInto(kn, pa.ptr, pb.ptr, shape, va, hb, out.ptr);
      assert.is(sameValues(out.f32(), expected), undefined, `${va}+${hb} [${shape}]`);
      const scratch = new Guarded(kn, size);
      const spec = new Guarded(kn, size);
      specKernels(kn).cornerPoolPairAddNhwcScalar(pa.ptr, pb.ptr, n, h, w, c, CODE[va], CODE[hb], scratch.ptr, spec.ptr);
      assert.is(sameValues(spec.f32(), expected), undefined, `spec ${va}+${hb} [${shape}]`);
      // out aliasing a, then b
      cornerPoolPairAddInto(kn, pa.ptr, pb.ptr, shape, va, hb, pa.ptr);
      assert.is(sameValues(pa.f32(), expected), undefined, 'out = a');
      pa.f32().set(a);
      cornerPoolPairAddInto(kn, pa.ptr, pb.ptr, shape, va, hb, pb.ptr);
      assert.is(sameValues(pb.f32(), expected), undefined, 'out = b');
      [pa, pb, out, scratch, spec].forEach((g) => g.check());
      [pa, pb, out, scratch, spec].forEach((g) => g.release());
    }
  }
});

test('cornerPool: a NaN propagates along its scan only', async () => {
  await loadKernels();
  const x = new Float32Array(4).fill(0);
  x[2] = NaN; // [1, 1, 4, 1], column 2
  assert.equal(Array.from(cornerPool({ data: x, shape: [1, 1, 4, 1] }, 'left').data).map(Number.isNaN), [true, true, true, false]);
  assert.equal(Array.from(cornerPool({ data: x, shape: [1, 1, 4, 1] }, 'right').data).map(Number.isNaN), [false, false, true, true]);
});

for (const file of ['cornerPool.json', 'cornerPool-batch.json']) {
  for (const [i, c] of contractCases(file).entries()) {
    test(`cornerPool contract ${file} case ${i} (PyTorch): ${c.direction} [${shapeOf(c.x)}]`, async () => {
      await loadKernels();
      const y = cornerPool({ data: f32Of(c.x), shape: shapeOf(c.x) }, c.direction as CornerDirection);
      assert.is(sameValues(y.data, f32Of(c.y)), undefined);
    });
  }
}

test('cornerPool rejects bad input with errors that name the argument', async () => {
  const kn = await loadKernels();
  const x = { data: new Float32Array(4), shape: [1, 2, 2, 1] };
  assert.throws(() => cornerPool(x, 'up' as CornerDirection), /cornerPool: direction must be 'top', 'left', 'bottom' or 'right', got "up"/);
  assert.throws(() => cornerPool(x, 'toString' as CornerDirection), /direction must be/);
  assert.throws(() => cornerPool({ data: new Float32Array(4), shape: [2, 2, 1] }, 'top'), /x must have rank 4/);
  assert.throws(() => cornerPool({ data: [1, 2] as unknown as Float32Array, shape: [1, 1, 2, 1] }, 'top'), /x.data must be a Float32Array/);
  assert.throws(() => cornerPoolInto(kn, 0, [1, 2, 2, 1], 'diagonal' as CornerDirection, 0), /cornerPoolInto: direction must be/);
  assert.throws(() => cornerPoolPairAddInto(kn, 0, 0, [1, 2, 2, 1], 'left' as 'top', 'left', 0), /vertical must be 'top' or 'bottom'/);
  assert.throws(() => cornerPoolPairAddInto(kn, 0, 0, [1, 2, 2, 1], 'top', 'top' as 'left', 0), /horizontal must be 'left' or 'right'/);
  assert.throws(() => cornerPoolInto(kn, 3, [1, 2, 2, 1], 'top', 0), /x must be a 4-byte aligned pointer/);
});

test.run();
