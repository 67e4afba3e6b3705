import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKernels } from '../helpers/kernels.js';
import { specKernels } from '../helpers/spec-kernels.js';

test('heap: allocations are 16-byte aligned, reused after release, and grow memory', async () => {
  const { heap, exports } = await loadKernels();
  const before = heap.allocatedBytes;
  const a = heap.alloc(3);
  const b = heap.alloc(100);
  assert.is(a % 16, 0);
  assert.is(b % 16, 0);
  assert.ok(b >= a + 16, 'blocks do not overlap');
  heap.release(a);
  const c = heap.alloc(8);
  assert.is(c, a, 'a freed block is reused first-fit');
  const big = heap.alloc(exports.memory.buffer.byteLength * 2);
  heap.f32(big, 4).fill(1); // the grown memory is addressable
  heap.release(big);
  heap.release(b);
  heap.release(c);
  assert.is(heap.allocatedBytes, before);
  assert.throws(() => heap.release(12345), /not an allocated pointer/);
});

test('addF32: SIMD kernel equals its scalar spec at sizes around the 4-lane tile, with and without ReLU', async () => {
  const kn = await loadKernels();
  const { heap, exports } = kn;
  const spec = specKernels(kn);
  for (const n of [0, 1, 3, 4, 5, 8, 17]) {
    for (const relu of [0, 1]) {
      const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 3);
      const b = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.3) - 0.5);
      const pa = heap.allocF32(a);
      const pb = heap.allocF32(b);
      const simd = heap.alloc(n * 4);
      const scalar = heap.alloc(n * 4);
      exports.addF32(pa, pb, simd, n, relu);
      spec.addF32Scalar(pa, pb, scalar, n, relu);
      const expected = Array.from(a, (v, i) => (relu ? Math.max(0, Math.fround(v + b[i])) : Math.fround(v + b[i])));
      assert.equal(Array.from(heap.f32(simd, n)), expected);
      assert.equal(Array.from(heap.f32(scalar, n)), expected);
      for (const p of [pa, pb, simd, scalar]) heap.release(p);
    }
  }
});

test.run();
