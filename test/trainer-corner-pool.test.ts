// The trainer's corner pooling: forward against the PyTorch contract and a plain reference written
// from DESIGN.md's definitions, gradient against finite differences and the official tie rule;
// the fused kernels (cpu: the JavaScript spec; wasm: SIMD forward and the training module's
// backward) against the op-by-op form and each other; the object gather and its scatter gradient.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { NamedAttrMap, Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { CornerDirection } from '../runtime/model/graph.js';
import { selectBackend, type TF } from '../trainer/backend.js';
import { cornerPool } from '../trainer/layers/corner-pool.js';
import { CORNER_POOL, CORNER_POOL_GRAD } from '../trainer/layers/corner-pool-kernels.js';
import { gatherAt } from '../trainer/layers/gather.js';
import { loadCases, tensorOf } from './helpers/decode-fixtures.js';
import { randomF32, rng } from './helpers/random.js';
import { relErr, withBackend } from './helpers/trainer.js';

const cpu = async (): Promise<TF> => (await selectBackend('cpu', { log: () => {} })).tf;
const DIRS: CornerDirection[] = ['top', 'left', 'bottom', 'right'];

/** DESIGN.md: top = max over rows at or below, left = columns at or right, bottom = rows at or above, right = columns at or left. */
function cornerPoolRef(x: Float32Array, [n, h, w, c]: number[], dir: CornerDirection): Float32Array {
  const out = new Float32Array(x.length);
  const at = (b: number, y: number, xx: number, k: number) => ((b * h + y) * w + xx) * c + k;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        for (let k = 0; k < c; k++) {
          let m = -Infinity;
          if (dir === 'top') for (let i = y; i < h; i++) m = Math.max(m, x[at(b, i, xx, k)]);
          if (dir === 'bottom') for (let i = 0; i <= y; i++) m = Math.max(m, x[at(b, i, xx, k)]);
          if (dir === 'left') for (let i = xx; i < w; i++) m = Math.max(m, x[at(b, y, i, k)]);
          if (dir === 'right') for (let i = 0; i <= xx; i++) m = Math.max(m, x[at(b, y, i, k)]);
          out[at(b, y, xx, k)] = m;
        }
      }
    }
  }
  return out;
}

test('cornerPool: PyTorch contract cases, all four directions', async () => {
  const tf = await cpu();
  const cases = loadCases('cornerPool');
  assert.equal(new Set(cases.map((c) => c.direction)), new Set(DIRS));
  for (const c of cases) {
    const x = tensorOf(c.x);
    const y = tf.tidy(() => cornerPool(tf, tf.tensor4d(x.data, x.shape as [number, number, number, number]), c.direction as CornerDirection));
    assert.equal(Array.from(y.dataSync()), Array.from(tensorOf(c.y).data), `${c.direction} [${x.shape}]`);
    y.dispose();
  }
});

test('cornerPool: equals the plain reference at sizes 1, 2, 3, 5, 8, 9 along the pooled axis', async () => {
  const tf = await cpu();
  for (const dir of DIRS) {
    for (const size of [1, 2, 3, 5, 8, 9]) {
      const shape = dir === 'top' || dir === 'bottom' ? [2, size, 3, 2] : [2, 3, size, 2];
      const x = randomF32(shape.reduce((a, b) => a * b, 1), size * 7 + DIRS.indexOf(dir));
      const y = tf.tidy(() => cornerPool(tf, tf.tensor4d(x, shape as [number, number, number, number]), dir));
      assert.equal(Array.from(y.dataSync()), Array.from(cornerPoolRef(x, shape, dir)), `${dir} size ${size}`);
      y.dispose();
    }
  }
  assert.throws(() => cornerPool(tf, tf.zeros([1, 2, 2, 1]) as Tensor4D, 'up' as CornerDirection), /direction must be one of top, left, bottom, right, got "up"/);
});

/** Central differences of L = sum(pool(x) * r) at every element; distinct inputs, step far below their gaps. */
function cornerPoolGradientError(tf: TF, dir: CornerDirection, seed: number): number {
  const shape: [number, number, number, number] = [1, 5, 6, 2];
  const n = 60;
  // A shuffled ramp: all values distinct, gaps 0.1, so a step of 1e-2 never reorders them.
  const x = Float32Array.from({ length: n }, (_, i) => i * 0.1);
  const random = rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [x[i], x[j]] = [x[j], x[i]];
  }
  const r = tf.tensor4d(randomF32(n, seed + 1), shape);
  const loss = (v: Float32Array) => tf.tidy(() => tf.sum(tf.mul(cornerPool(tf, tf.tensor4d(v, shape), dir), r)).dataSync()[0]);
  const g = tf.tidy(() => tf.grad((t: Tensor) => tf.sum(tf.mul(cornerPool(tf, t as Tensor4D, dir), r)))(tf.tensor4d(x, shape)).dataSync());
  const fd = new Float32Array(n);
  const step = 1e-2;
  for (let i = 0; i < n; i++) {
    const up = x.slice();
    const down = x.slice();
    up[i] += step;
    down[i] -= step;
    fd[i] = (loss(up) - loss(down)) / (2 * step);
  }
  r.dispose();
  return relErr(g, fd, 1e-1);
}

test('cornerPool gradient: equals central differences (distinct values), all directions', async () => {
  const tf = await cpu();
  for (const dir of DIRS) {
    const e = cornerPoolGradientError(tf, dir, 31 + DIRS.indexOf(dir));
    assert.ok(e < 2e-3, `${dir}: ${e}`);
  }
});

test('cornerPool forward and gradient, gatherAt gradient with repeated indices, on the wasm backend', async () => {
  await withBackend('wasm', (tf) => {
    assert.is(tf.getBackend(), 'wasm');
    for (const dir of DIRS) {
      const shape = [2, 7, 5, 3];
      const x = randomF32(2 * 7 * 5 * 3, 41);
      const y = tf.tidy(() => cornerPool(tf, tf.tensor4d(x, shape as [number, number, number, number]), dir));
      assert.equal(Array.from(y.dataSync()), Array.from(cornerPoolRef(x, shape, dir)), dir);
      y.dispose();
      const e = cornerPoolGradientError(tf, dir, 51);
      assert.ok(e < 2e-3, `${dir}: ${e}`);
    }
    const index = tf.tensor2d([[3, 3, 0]], [1, 3], 'int32');
    const g = tf.grad((f: Tensor) => tf.sum(tf.mul(gatherAt(tf, f as Tensor4D, index), tf.tensor3d([1, 2, 3], [1, 3, 1]))))(tf.zeros([1, 2, 2, 1]));
    assert.equal(Array.from(g.dataSync()), [3, 0, 0, 3]);
  });
});

test('cornerPool gradient: a tie sends dy to the maximum farthest from the output position (the official backward)', async () => {
  const tf = await cpu();
  const grad = (dir: CornerDirection, column: number[]) => {
    const shape: [number, number, number, number] = dir === 'top' || dir === 'bottom' ? [1, column.length, 1, 1] : [1, 1, column.length, 1];
    return Array.from(tf.tidy(() => tf.grad((t: Tensor) => tf.sum(cornerPool(tf, t as Tensor4D, dir)))(tf.tensor4d(column, shape)).dataSync()));
  };
  // top, column [1, 3, 3, 2]: out = [3, 3, 3, 2]. Outputs 0, 1, 2 see the tied 3s at rows 1 and 2;
  // the official scan runs from the bottom and moves its argmax only on a strictly greater value,
  // so it settles on row 2 for all three: d/dx = [0, 0, 3, 1].
  assert.equal(grad('top', [1, 3, 3, 2]), [0, 0, 3, 1]);
  assert.equal(grad('left', [1, 3, 3, 2]), [0, 0, 3, 1]);
  // bottom, column [2, 3, 3, 1]: out = [2, 3, 3, 3]; the scan runs from the top and keeps row 1:
  // d/dx = [1, 3, 0, 0].
  assert.equal(grad('bottom', [2, 3, 3, 1]), [1, 3, 0, 0]);
  assert.equal(grad('right', [2, 3, 3, 1]), [1, 3, 0, 0]);
});

/** Values from a set of 4: ties everywhere along every scan. */
const tied = (n: number, seed: number) => Float32Array.from(randomF32(n, seed), (v) => Math.round(v * 1.5));

test('cornerPool fused kernels (cpu: the JavaScript spec) equal the op-by-op form, forward and gradient, with ties', async () => {
  const tf = await cpu();
  for (const dir of DIRS) {
    for (const [i, shape] of ([[2, 9, 5, 3], [1, 4, 16, 8], [3, 1, 7, 2], [1, 8, 1, 5]] as [number, number, number, number][]).entries()) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor4d(tied(n, 60 + i), shape);
      const r = tf.tensor4d(randomF32(n, 70 + i), shape);
      const run = (opByOp: boolean) =>
        tf.tidy(() => {
          const f = (t: Tensor) => tf.sum(tf.mul(cornerPool(tf, t as Tensor4D, dir, { opByOp }), r));
          return [Array.from(cornerPool(tf, x, dir, { opByOp }).dataSync()), Array.from(tf.grad(f)(x).dataSync())];
        });
      const [y, g] = run(false);
      const [yRef, gRef] = run(true);
      assert.equal(y, yRef, `${dir} [${shape}] forward`);
      // the same dy reaches the same maximum: sums of the same values, though not in one order
      g.forEach((v, j) => assert.ok(Math.abs(v - gRef[j]) <= 1e-6 * Math.max(1, Math.abs(gRef[j])), `${dir} [${shape}] dx[${j}]: ${v} vs ${gRef[j]}`));
      tf.dispose([x, r]);
    }
  }
});

test('cornerPool kernels on wasm equal the JavaScript spec bit for bit (ties, all directions)', async () => {
  const shapes: [number, number, number, number][] = [[2, 9, 5, 3], [1, 6, 7, 16], [2, 1, 4, 5], [1, 5, 1, 4]];
  const want = new Map<string, number[][]>();
  await withBackend('cpu', (tf) => {
    for (const dir of DIRS) {
      for (const [i, shape] of shapes.entries()) {
        const n = shape.reduce((a, b) => a * b, 1);
        want.set(`${dir} ${i}`, tf.tidy(() => {
          const x = tf.tensor4d(tied(n, 80 + i), shape);
          const dy = tf.tensor4d(randomF32(n, 90 + i), shape);
          return [Array.from((tf.engine().runKernel(CORNER_POOL, { x }, { direction: dir }) as Tensor).dataSync()), Array.from((tf.engine().runKernel(CORNER_POOL_GRAD, { x, dy }, { direction: dir }) as Tensor).dataSync())];
        }));
      }
    }
  });
  await withBackend('wasm', (tf) => {
    for (const dir of DIRS) {
      for (const [i, shape] of shapes.entries()) {
        const n = shape.reduce((a, b) => a * b, 1);
        const got = tf.tidy(() => {
          const x = tf.tensor4d(tied(n, 80 + i), shape);
          const dy = tf.tensor4d(randomF32(n, 90 + i), shape);
          return [Array.from((tf.engine().runKernel(CORNER_POOL, { x }, { direction: dir }) as Tensor).dataSync()), Array.from((tf.engine().runKernel(CORNER_POOL_GRAD, { x, dy }, { direction: dir }) as Tensor).dataSync())];
        });
        assert.equal(got, want.get(`${dir} ${i}`), `${dir} [${shape}]`);
      }
    }
  });
});

test('cornerPool kernels: bad inputs are clear errors naming the kernel and the argument', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await withBackend(backend, (tf) => {
      const x = tf.zeros([1, 3, 3, 2]);
      const run = (name: string, ins: Record<string, Tensor>, attrs: Record<string, unknown>) => () => tf.engine().runKernel(name, ins, attrs as unknown as NamedAttrMap);
      assert.throws(run(CORNER_POOL, { x }, { direction: 'up' }), /AnchorlessCornerPool: attribute direction must be one of top, left, bottom, right, got "up"/);
      assert.throws(run(CORNER_POOL, { x: tf.zeros([3, 3, 2]) }, { direction: 'top' }), /AnchorlessCornerPool: x must be NHWC \(rank 4\), got shape \[3,3,2\]/);
      assert.throws(run(CORNER_POOL_GRAD, { x, dy: tf.zeros([1, 3, 2, 2]) }, { direction: 'left' }), /AnchorlessCornerPoolGrad: dy must be float32 of x's shape \[1,3,3,2\], got float32 \[1,3,2,2\]/);
      assert.throws(run(CORNER_POOL, { x: tf.zeros([1, 3, 3, 2], 'int32') }, { direction: 'top' }), /AnchorlessCornerPool: x must be float32, got int32/);
    });
  }
});

test('gatherAt: values at flat indices per image; the gradient adds repeated indices', async () => {
  const tf = await cpu();
  // feat [2, 2, 2, 1]: image 0 = [10, 20, 30, 40], image 1 = [50, 60, 70, 80].
  const feat = tf.tensor4d([10, 20, 30, 40, 50, 60, 70, 80], [2, 2, 2, 1]);
  const index = tf.tensor2d([[3, 3, 0], [1, 0, 2]], [2, 3], 'int32');
  const y = gatherAt(tf, feat, index);
  assert.equal(y.shape, [2, 3, 1]);
  assert.equal(Array.from(y.dataSync()), [40, 40, 10, 60, 50, 70]);
  // d/dfeat of sum(gather * w), w = [1, 2, 3 | 4, 5, 6]: image 0 index 3 gets 1 + 2, index 0 gets 3.
  const w = tf.tensor3d([1, 2, 3, 4, 5, 6], [2, 3, 1]);
  const g = tf.grad((f: Tensor) => tf.sum(tf.mul(gatherAt(tf, f as Tensor4D, index), w)))(feat);
  assert.equal(Array.from(g.dataSync()), [3, 0, 0, 3, 5, 4, 6, 0]);
  assert.throws(() => gatherAt(tf, feat, tf.tensor2d([[0]], [1, 1], 'int32')), /index must be \[2, m\]/);
  assert.throws(() => gatherAt(tf, feat, tf.tensor2d([[0], [1]], [2, 1], 'float32')), /index must be int32/);
  tf.dispose([feat, index, y, w, g]);
});

test.run();
