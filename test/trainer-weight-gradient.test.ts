// Conv2DBackpropFilter (weight gradient of conv2d, the training module's kernels): the scalar spec against per-tap
// tf.stridedSlice + tf.matMul on the TensorFlow.js cpu backend, the SIMD kernels (groups = 1 direct and Winograd,
// depthwise) against the spec, and errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2dBackpropFilter as backpropFilter, conv2dBackpropFilterInto, type Conv2dBackpropFilterOptions } from '../trainer/wasm-kernels/weight-gradient.js';
import { loadTrainKernels, type TrainExports } from '../trainer/wasm-kernels/train-module.js';
import { convGeometry } from '../runtime/ops/conv-params.js';
import type { Tensor } from '../runtime/ops/tensor.js';
import type { Kernels } from '../runtime/wasm/loader.js';
import { loadKernels } from './helpers/kernels.js';
import { igemmRowsFits, winogradFits } from '../runtime/ops/conv-packed.js';
import { randomF32 } from './helpers/random.js';
import { refBackpropFilter } from './ops/conv-reference.js';
import { expectCloseTensor } from './helpers/expect-tensor.js';

let loaded: { k: Kernels; train: TrainExports } | undefined;
async function load(): Promise<{ k: Kernels; train: TrainExports }> {
  if (!loaded) {
    const k = await loadKernels();
    loaded = { k, train: await loadTrainKernels(k) };
  }
  return loaded;
}

/** The tensor-level op on the loaded kernels (load() first). */
function conv2dBackpropFilter(x: Tensor, dy: Tensor, filterShape: readonly number[], opts?: Conv2dBackpropFilterOptions): Tensor {
  return backpropFilter(loaded!.k, loaded!.train, x, dy, filterShape, opts);
}


interface Case {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  cout: number;
  stride?: [number, number];
  pad?: [number, number, number, number];
  dilation?: [number, number];
  groups?: number;
}

// 4 x 8 register tiles, their 4 x 4 / 4 x 1 / single-row tails, strides, dilation, padding, batch
const CASES: Case[] = [
  { name: '3x3 pad 1, cin 8 cout 16 (whole tiles)', x: [1, 9, 8, 8], k: [3, 3], cout: 16, pad: [1, 1, 1, 1] },
  { name: '3x3 pad 1, cin 7 cout 13 (every tail)', x: [2, 7, 6, 7], k: [3, 3], cout: 13, pad: [1, 1, 1, 1] },
  { name: '1x1, cin 3 cout 5', x: [1, 5, 5, 3], k: [1, 1], cout: 5 },
  { name: '3x3 stride 2, asymmetric pad', x: [1, 11, 10, 4], k: [3, 3], cout: 8, stride: [2, 2], pad: [0, 1, 1, 0] },
  { name: '3x3 dilation 2', x: [1, 10, 9, 5], k: [3, 3], cout: 6, pad: [2, 2, 2, 2], dilation: [2, 2] },
  { name: '3x3 stride 2 + dilation 2', x: [2, 13, 11, 4], k: [3, 3], cout: 12, stride: [2, 2], pad: [2, 1, 0, 2], dilation: [2, 2] },
  { name: '7x7 stride 2 pad 3, 3 -> 16', x: [1, 20, 18, 3], k: [7, 7], cout: 16, stride: [2, 2], pad: [3, 3, 3, 3] },
  { name: '5x5 filter larger than 3x3 input', x: [1, 3, 3, 4], k: [5, 5], cout: 4, pad: [2, 2, 2, 2] },
  { name: '3x3 wide image (several row chunks)', x: [1, 40, 30, 8], k: [3, 3], cout: 8, pad: [1, 1, 1, 1] },
  { name: 'groups 2 (scalar spec path)', x: [1, 6, 7, 6], k: [3, 3], cout: 4, pad: [1, 1, 1, 1], groups: 2 },
  { name: 'depthwise 3x3, 21 channels', x: [2, 9, 8, 21], k: [3, 3], cout: 21, pad: [1, 1, 1, 1], groups: 21 },
  { name: 'depthwise stride 2 dilation 2, 5 channels', x: [1, 12, 11, 5], k: [3, 3], cout: 5, stride: [2, 2], pad: [2, 2, 1, 2], dilation: [2, 2], groups: 5 },
  // Winograd F(2x2, 3x3): odd output sizes (half tiles), no padding, asymmetric padding, batch 2,
  // cout not a multiple of 8, more tiles than one block (256 at cin 8)
  { name: 'winograd: odd sizes, no padding, cin 12 cout 20', x: [2, 9, 8, 12], k: [3, 3], cout: 20 },
  { name: 'winograd: asymmetric pad, cin 8 cout 12', x: [1, 7, 10, 8], k: [3, 3], cout: 12, pad: [0, 2, 1, 0] },
  { name: 'winograd: 600 tiles (3 blocks), cin 8 cout 16', x: [1, 41, 57, 8], k: [3, 3], cout: 16, pad: [1, 1, 1, 1] },
  // filter rows as taps: stems (cin 3) with left and right border columns, vertical dilation,
  // an image narrower than the filter (no interior column), batch 2
  { name: 'rows: 7x7 stride 2 stem, asymmetric pad, batch 2', x: [2, 30, 29, 3], k: [7, 7], cout: 20, stride: [2, 2], pad: [3, 2, 3, 2] },
  { name: 'rows: 3x5 dilation [2, 1]', x: [1, 12, 11, 2], k: [3, 5], cout: 9, pad: [2, 2, 2, 2], dilation: [2, 1] },
  { name: 'rows: 5x5 on a 6x3 image', x: [1, 6, 3, 1], k: [5, 5], cout: 8, pad: [2, 2, 4, 1] },
];

function inputs(c: Case, seed: number) {
  const groups = c.groups ?? 1;
  const opts: Conv2dBackpropFilterOptions = { stride: c.stride ?? [1, 1], pad: c.pad ?? [0, 0, 0, 0], dilation: c.dilation ?? [1, 1], groups };
  const g = convGeometry('test', c.x[1], c.x[2], c.k[0], c.k[1], opts);
  const x: Tensor = { data: randomF32(c.x.reduce((a, b) => a * b, 1), seed), shape: [...c.x] };
  const dy: Tensor = { data: randomF32(c.x[0] * g.oh * g.ow * c.cout, seed + 1), shape: [c.x[0], g.oh, g.ow, c.cout] };
  const filterShape = [c.k[0], c.k[1], c.x[3] / groups, c.cout];
  return { x, dy, filterShape, opts };
}

test('conv2dBackpropFilter: scalar spec equals TF.js per-tap strided slices x dy (tf.matMul, cpu backend)', async () => {
  await load();
  for (const [i, c] of CASES.entries()) {
    const { x, dy, filterShape, opts } = inputs(c, 500 + i * 3);
    const want = await refBackpropFilter(x, dy, filterShape, {
      stride: c.stride ?? [1, 1], pad: c.pad ?? [0, 0, 0, 0], dilation: c.dilation ?? [1, 1], groups: c.groups ?? 1,
    });
    expectCloseTensor(c.name, conv2dBackpropFilter(x, dy, filterShape, { ...opts, kernel: 'scalar' }), want);
  }
});

test('conv2dBackpropFilter: SIMD kernels (groups 1 direct, rows and Winograd, depthwise) equal the scalar spec', async () => {
  await load();
  let winograd = 0;
  let rows = 0;
  for (const [i, c] of CASES.entries()) {
    const { x, dy, filterShape, opts } = inputs(c, 500 + i * 3);
    const spec = conv2dBackpropFilter(x, dy, filterShape, { ...opts, kernel: 'scalar' });
    expectCloseTensor(c.name, conv2dBackpropFilter(x, dy, filterShape, opts), spec);
    if ((c.groups ?? 1) === 1) expectCloseTensor(`${c.name} [direct]`, conv2dBackpropFilter(x, dy, filterShape, { ...opts, kernel: 'direct' }), spec);
    if (igemmRowsFits(c.k[1], c.groups ?? 1, (c.dilation ?? [1, 1])[1])) {
      expectCloseTensor(`${c.name} [rows]`, conv2dBackpropFilter(x, dy, filterShape, { ...opts, kernel: 'rows' }), spec);
      rows++;
    }
    if (winogradFits(c.k[0], c.k[1], c.x[3], c.cout, c.groups ?? 1, c.stride ?? [1, 1], c.dilation ?? [1, 1])) {
      expectCloseTensor(`${c.name} [winograd]`, conv2dBackpropFilter(x, dy, filterShape, { ...opts, kernel: 'winograd' }), spec);
      winograd++;
    }
  }
  assert.ok(winograd >= 5, `${winograd} cases run the Winograd kernel`);
  assert.ok(rows >= 8, `${rows} cases run the rows kernel`);
});

test("conv2dBackpropFilter: pad 'same', overwrites dW, frees everything", async () => {
  const { k, train } = await load();
  const before = k.heap.allocatedBytes;
  const x: Tensor = { data: randomF32(1 * 9 * 7 * 4, 1), shape: [1, 9, 7, 4] };
  const dy: Tensor = { data: randomF32(1 * 5 * 4 * 8, 2), shape: [1, 5, 4, 8] };
  const spec = conv2dBackpropFilter(x, dy, [3, 3, 4, 8], { stride: 2, pad: 'same', kernel: 'scalar' });
  const want = await refBackpropFilter(x, dy, [3, 3, 4, 8], { stride: [2, 2], pad: [1, 1, 1, 1], dilation: [1, 1], groups: 1 });
  expectCloseTensor("same", spec, want);
  const xp = k.heap.allocF32(x.data);
  const dyp = k.heap.allocF32(dy.data);
  const dwp = k.heap.allocF32(new Float32Array(3 * 3 * 4 * 8).fill(123)); // stale values must not leak in
  conv2dBackpropFilterInto(k, train, xp, x.shape, dyp, dy.shape, dwp, [3, 3, 4, 8], { stride: 2, pad: 'same' });
  expectCloseTensor('into', { data: k.heap.f32(dwp, 288).slice(), shape: [3, 3, 4, 8] }, want);
  // a caller's scratch (the trainer's grow-only buffers): the same result, the scratch asked for is used
  const big = { x: { data: randomF32(1 * 12 * 10 * 8, 3), shape: [1, 12, 10, 8] }, dy: { data: randomF32(1 * 12 * 10 * 8, 4), shape: [1, 12, 10, 8] } };
  const bx = k.heap.allocF32(big.x.data);
  const bdy = k.heap.allocF32(big.dy.data);
  const bdw = k.heap.alloc(3 * 3 * 8 * 8 * 4);
  const asked: number[] = [];
  let scratch = 0;
  conv2dBackpropFilterInto(k, train, bx, big.x.shape, bdy, big.dy.shape, bdw, [3, 3, 8, 8], { pad: 1, kernel: 'winograd' }, (bytes) => {
    asked.push(bytes);
    scratch = k.heap.alloc(bytes);
    return scratch;
  });
  assert.equal(asked.length, 1, 'the Winograd kernel asks its scratch once');
  expectCloseTensor('caller scratch', { data: k.heap.f32(bdw, 576).slice(), shape: [3, 3, 8, 8] }, conv2dBackpropFilter(big.x, big.dy, [3, 3, 8, 8], { pad: 1, kernel: 'scalar' }));
  for (const p of [xp, dyp, dwp, bx, bdy, bdw, scratch]) k.heap.release(p);
  assert.is(k.heap.allocatedBytes, before);
});

test('conv2dBackpropFilter: clear errors for bad input', async () => {
  await load();
  const x: Tensor = { data: new Float32Array(1 * 5 * 5 * 4), shape: [1, 5, 5, 4] };
  const dy: Tensor = { data: new Float32Array(1 * 5 * 5 * 8), shape: [1, 5, 5, 8] };
  const bad: [string, () => unknown, RegExp][] = [
    ['rank', () => conv2dBackpropFilter({ data: new Float32Array(100), shape: [5, 5, 4] }, dy, [3, 3, 4, 8]), /x must have rank 4/],
    ['filter shape', () => conv2dBackpropFilter(x, dy, [3, 3, 4]), /filterShape must be 4 positive integers/],
    ['channels', () => conv2dBackpropFilter(x, dy, [3, 3, 3, 8], { pad: 1 }), /x has 4 channels but filterShape \[3,3,3,8\] takes 3 per group x 1 groups/],
    ['dy shape', () => conv2dBackpropFilter(x, dy, [3, 3, 4, 8]), /dy shape \[1,5,5,8\] must be the conv output shape \[1, 3, 3, 8\]/],
    ['groups', () => conv2dBackpropFilter(x, dy, [3, 3, 2, 8], { pad: 1, groups: 3 }), /takes 2 per group x 3 groups/],
    ['stride', () => conv2dBackpropFilter(x, dy, [3, 3, 4, 8], { stride: 0 }), /stride must be a positive integer/],
    ['kernel', () => conv2dBackpropFilter(x, dy, [3, 3, 4, 8], { pad: 1, kernel: 'simd' as 'auto' }), /^conv2dBackpropFilter: kernel must be 'auto', 'scalar', 'direct', 'rows' or 'winograd'/],
    ['kernel rows, dilation 2', () => conv2dBackpropFilter(x, { data: new Float32Array(8), shape: [1, 1, 1, 8] }, [3, 3, 4, 8], { dilation: 2, kernel: 'rows' }), /kernel 'rows' needs groups 1, a filter wider than 1 and horizontal dilation 1/],
    ['kernel winograd, stride 2', () => conv2dBackpropFilter({ data: new Float32Array(200), shape: [1, 5, 5, 8] }, { data: new Float32Array(72), shape: [1, 3, 3, 8] }, [3, 3, 8, 8], { stride: 2, pad: 1, kernel: 'winograd' }), /kernel 'winograd' cannot run this layer \(filterShape \[3,3,8,8\], groups 1, stride \[2, 2\]/],
  ];
  for (const [label, fn, re] of bad) assert.throws(fn, re, label);
});

test.run();
