// DCNv2 on the webgpu backend through its fused kernels (trainer/webgpu-kernels/deform-conv.ts: the
// columns, and the gradients of x, the offsets and the mask), run on whatever adapter Dawn finds (in
// CI a software one), against the layer's op-by-op form on the cpu backend (trainer/layers/
// deform-conv.ts, itself held to torchvision's deform_conv2d by trainer-deform-conv.test.ts): the
// output and all four gradients of a random linear loss, for strides 1 and 2, dilation 2, a 1x1
// kernel, batch 2, offsets that carry samples far outside the image, and integer offsets (bilinear
// weights of exactly 0 and 1); x's gradient (64-bit fixed-point sums) the same bits from run to run,
// and NaN where a contribution is not finite.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { selectBackend, type TF } from '../trainer/backend.js';
import { DEFORM_COLUMNS, DEFORM_COLUMNS_GRAD_OFFSET_MASK, DEFORM_COLUMNS_GRAD_X, deformConv2dTorch } from '../trainer/layers/deform-conv.js';
import { randomF32 } from './helpers/random.js';

interface Case {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
  dilation: number;
  /** offsets drawn in [-reach, reach]; integer: rounded */
  reach: number;
  integer?: boolean;
}

const CASES: Case[] = [
  { n: 1, h: 9, w: 7, cin: 6, cout: 5, k: 3, stride: 1, pad: 1, dilation: 1, reach: 4 },
  { n: 2, h: 8, w: 10, cin: 4, cout: 9, k: 3, stride: 2, pad: 1, dilation: 1, reach: 4 },
  { n: 1, h: 7, w: 7, cin: 3, cout: 4, k: 3, stride: 1, pad: 2, dilation: 2, reach: 4 },
  { n: 1, h: 6, w: 5, cin: 17, cout: 3, k: 1, stride: 1, pad: 0, dilation: 1, reach: 4 },
  { n: 2, h: 12, w: 11, cin: 24, cout: 16, k: 3, stride: 1, pad: 1, dilation: 1, reach: 30 },
  { n: 1, h: 8, w: 8, cin: 5, cout: 6, k: 3, stride: 1, pad: 1, dilation: 1, reach: 3, integer: true },
  // 2,048 points: the weight's gradient contracts over >= 2,000 positions into a small output, where
  // tfjs-backend-webgpu's MatMul would split the sum with float atomics (not the same from run to run)
  { n: 2, h: 32, w: 32, cin: 8, cout: 4, k: 3, stride: 1, pad: 1, dilation: 1, reach: 2 },
  // 16 points, 2,304 column entries each, 16 outputs: a forward MatMul that tfjs-backend-webgpu would
  // split over its inner dimension the same way, unless the trainer's registration prevents it
  { n: 1, h: 4, w: 4, cin: 256, cout: 16, k: 3, stride: 1, pad: 1, dilation: 1, reach: 2 },
];

interface Result {
  y: Float32Array;
  grads: Float32Array[];
  kernels: string[];
}

/** y = dcn(x, offset, mask, w) and the gradients of sum(y * r) for x, w, offset, mask, on `tf`'s backend. */
async function run(tf: TF, c: Case, seed: number, opByOp: boolean): Promise<Result> {
  const oh = Math.floor((c.h + 2 * c.pad - c.dilation * (c.k - 1) - 1) / c.stride) + 1;
  const ow = Math.floor((c.w + 2 * c.pad - c.dilation * (c.k - 1) - 1) / c.stride) + 1;
  const taps = c.k * c.k;
  const offsets = randomF32(c.n * oh * ow * 2 * taps, seed + 1, -c.reach, c.reach);
  const t4 = (data: Float32Array, shape: number[]) => tf.tensor4d(data, shape as [number, number, number, number]);
  const x = t4(randomF32(c.n * c.h * c.w * c.cin, seed), [c.n, c.h, c.w, c.cin]);
  const offset = t4(c.integer ? offsets.map(Math.round) : offsets, [c.n, oh, ow, 2 * taps]);
  const mask = t4(randomF32(c.n * oh * ow * taps, seed + 2, 0, 1), [c.n, oh, ow, taps]);
  const wt = t4(randomF32(taps * c.cin * c.cout, seed + 3), [c.k, c.k, c.cin, c.cout]);
  const r = t4(randomF32(c.n * oh * ow * c.cout, seed + 4), [c.n, oh, ow, c.cout]);
  const g = { stride: c.stride, pad: c.pad, dilation: c.dilation };
  const forward = (a: Tensor, o: Tensor, m: Tensor, b: Tensor) => deformConv2dTorch(tf, a as Tensor4D, o as Tensor4D, m as Tensor4D, b as Tensor4D, g, { opByOp });
  let y: Tensor | undefined;
  let grads: Tensor[] = [];
  const profile = await tf.profile(() => {
    y = forward(x, offset, mask, wt);
    grads = tf.grads((a: Tensor, b: Tensor, o: Tensor, m: Tensor) => tf.sum(tf.mul(forward(a, o, m, b), r)))([x, wt, offset, mask]);
  });
  const out = { y: (await y!.data()) as Float32Array, grads: await Promise.all(grads.map(async (t) => (await t.data()) as Float32Array)), kernels: profile.kernels.map((k) => k.name) };
  tf.dispose([x, offset, mask, wt, r, y!, ...grads]);
  return out;
}

/** Largest difference over the largest reference value. */
function relativeError(got: Float32Array, want: Float32Array): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
  }
  return got.length === want.length && scale > 0 ? diff / scale : Infinity;
}

CASES.forEach((c, i) => {
  test(`dcn on webgpu's fused kernels, x [${c.n}, ${c.h}, ${c.w}, ${c.cin}], ${c.k}x${c.k} -> ${c.cout}, stride ${c.stride}, pad ${c.pad}, dilation ${c.dilation}, offsets ${c.integer ? 'integer' : 'within'} +-${c.reach}: output and gradients equal the op-by-op layer on cpu`, async () => {
    const cpu = (await selectBackend('cpu', { log: () => undefined })).tf;
    const want = await run(cpu, c, 10 * i + 1, true);
    const { tf } = await selectBackend('webgpu', { log: () => undefined });
    const got = await run(tf, c, 10 * i + 1, false);
    const again = await run(tf, c, 10 * i + 1, false);
    assert.ok([got.y, ...got.grads].every((g, k) => g.every((v, j) => Object.is(v, [again.y, ...again.grads][k][j]))), 'the same output and gradients, bit for bit, from run to run');
    for (const name of [DEFORM_COLUMNS, DEFORM_COLUMNS_GRAD_X, DEFORM_COLUMNS_GRAD_OFFSET_MASK]) assert.ok(got.kernels.includes(name), `${name} ran (kernels: ${[...new Set(got.kernels)].join(', ')})`);
    assert.not.ok(got.kernels.includes('GatherV2') || got.kernels.includes('ScatterNd'), 'no gather or scatter: the op-by-op form did not run');
    const e = relativeError(got.y, want.y);
    assert.ok(e <= 1e-5, `output: ${e}`);
    ['x', 'w', 'offset', 'mask'].forEach((name, k) => {
      const err = relativeError(got.grads[k], want.grads[k]);
      assert.ok(err <= 1e-5, `gradient of ${name}: ${err}`);
    });
  });
});

test('a MatMul with a long inner dimension and a small output (tfjs-backend-webgpu would split it with float atomics) gives the same bits every time', async () => {
  const { tf } = await selectBackend('webgpu', { log: () => undefined });
  const a = tf.tensor2d(randomF32(16 * 2304, 91), [16, 2304]);
  const b = tf.tensor2d(randomF32(2304 * 16, 92), [2304, 16]);
  const first = (await tf.matMul(a, b).data()) as Float32Array;
  for (let k = 0; k < 10; k++) {
    const c = tf.matMul(a, b);
    const again = (await c.data()) as Float32Array;
    c.dispose();
    assert.ok(again.every((v, i) => Object.is(v, first[i])), `run ${k + 2} differs`);
  }
  tf.dispose([a, b]);
});

test('the fused kernels check their inputs: a mask of the wrong shape, a missing gradient, a bad attribute', async () => {
  const { tf } = await selectBackend('webgpu', { log: () => undefined });
  const x = tf.zeros([1, 5, 5, 2]);
  const offset = tf.zeros([1, 5, 5, 18]);
  const attrs = { kernelH: 3, kernelW: 3, stride: 1, pad: 1, dilation: 1 };
  assert.throws(() => tf.engine().runKernel(DEFORM_COLUMNS, { x, offset, mask: tf.zeros([1, 5, 5, 8]) }, attrs), /AnchorlessDeformColumns: mask must be \[1,5,5,9\] for x \[1,5,5,2\], got \[1,5,5,8\]/);
  const mask = tf.zeros([1, 5, 5, 9]);
  assert.throws(() => tf.engine().runKernel(DEFORM_COLUMNS_GRAD_X, { x, offset, mask }, attrs), /AnchorlessDeformColumnsGradX: input dcols is missing/);
  assert.throws(() => tf.engine().runKernel(DEFORM_COLUMNS, { x, offset, mask }, { ...attrs, stride: 0 }), /attribute stride must be an integer >= 1, got 0/);
  tf.dispose([x, offset, mask]);
});

test('x\'s gradient is NaN when a column gradient is not finite (not a finite number from the fixed-point sums)', async () => {
  const { tf } = await selectBackend('webgpu', { log: () => undefined });
  const x = tf.ones([1, 4, 4, 2]);
  const offset = tf.fill([1, 4, 4, 18], 0.5);
  const mask = tf.ones([1, 4, 4, 9]);
  const attrs = { kernelH: 3, kernelW: 3, stride: 1, pad: 1, dilation: 1 };
  for (const bad of [NaN, Infinity]) {
    const cols = new Float32Array(16 * 18).fill(0.25);
    cols[37] = bad;
    const dcols = tf.tensor2d(cols, [16, 18]);
    const dx = tf.engine().runKernel(DEFORM_COLUMNS_GRAD_X, { dcols, x, offset, mask }, attrs) as Tensor;
    const v = (await dx.data()) as Float32Array;
    assert.ok(v.length === 32 && v.every((e) => Number.isNaN(e)), `dcols with ${bad}: ${v.slice(0, 4)}`);
    const fine = tf.engine().runKernel(DEFORM_COLUMNS_GRAD_X, { dcols: tf.fill([16, 18], 0.25), x, offset, mask }, attrs) as Tensor;
    assert.ok(((await fine.data()) as Float32Array).every((e) => Number.isFinite(e)), 'finite otherwise');
    tf.dispose([dcols, dx, fine]);
  }
  tf.dispose([x, offset, mask]);
});

test.after(async () => {
  await (await selectBackend('cpu', { log: () => undefined })).tf.setBackend('cpu');
});

test.run();
