// conv2d: the scalar spec against TensorFlow.js (cpu), every fast kernel against the spec, the
// PyTorch contract cases, the pointer-level API, and every validation error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2d, type Conv2dOptions } from '../../runtime/ops/conv.js';
import { conv2dInto, conv2dOutputShape, packConv2d, prefersIgemmRows, winogradFits, type FastConvKernel } from '../../runtime/ops/conv-packed.js';
import type { Tensor } from '../../runtime/ops/tensor.js';
import { loadCases, tensorOf } from '../helpers/decode-fixtures.js';
import { loadKernels } from '../helpers/kernels.js';
import { loadPeakLoop } from '../../bench/peak-module.js';
import { randomF32 } from '../helpers/random.js';
import { tfCpu } from '../helpers/tf.js';
import { refConv2d } from './conv-reference.js';
import { expectCloseTensor } from '../helpers/expect-tensor.js';


interface Case {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  cout: number;
  stride?: [number, number];
  pad?: [number, number, number, number];
  dilation?: [number, number];
  groups?: number;
  bias?: boolean;
  relu?: boolean;
}

// below / at / above the 4-pixel x 8-channel tile, channel tails, batch > 1, strides, dilation,
// asymmetric padding, groups and depthwise, with and without bias and ReLU
const CASES: Case[] = [
  { name: '1x1, 35 pixels, cout 5 < tile', x: [1, 5, 7, 3], k: [1, 1], cout: 5 },
  { name: '1x1, exact tiles', x: [2, 4, 4, 8], k: [1, 1], cout: 8, bias: true },
  { name: '1x1, cin 17 cout 19, ReLU', x: [1, 9, 9, 17], k: [1, 1], cout: 19, bias: true, relu: true },
  { name: '1x1 stride 2', x: [1, 8, 7, 6], k: [1, 1], cout: 12, stride: [2, 2], bias: true },
  { name: '1x1 groups 2', x: [1, 6, 5, 12], k: [1, 1], cout: 8, groups: 2, bias: true, relu: true },
  { name: '3x3 on 1x1 pixel', x: [1, 1, 1, 1], k: [3, 3], cout: 1, pad: [1, 1, 1, 1] },
  { name: '3x3, 8 pixels', x: [1, 4, 2, 4], k: [3, 3], cout: 8, pad: [1, 1, 1, 1], bias: true },
  { name: '3x3 pad 1, ReLU', x: [1, 13, 11, 8], k: [3, 3], cout: 16, pad: [1, 1, 1, 1], bias: true, relu: true },
  { name: '3x3 batch 2, cin 5 cout 7', x: [2, 9, 10, 5], k: [3, 3], cout: 7, pad: [1, 1, 1, 1] },
  { name: '3x3 cin 64 cout 40 (k loop unrolled, 5 panels)', x: [1, 10, 10, 64], k: [3, 3], cout: 40, pad: [1, 1, 1, 1], bias: true },
  { name: '3x3 stride 2, asymmetric pad', x: [1, 10, 9, 3], k: [3, 3], cout: 9, stride: [2, 2], pad: [0, 1, 0, 1], bias: true },
  { name: '3x3 dilation 2', x: [1, 11, 12, 6], k: [3, 3], cout: 10, pad: [2, 2, 2, 2], dilation: [2, 2], relu: true },
  { name: '3x3 stride 2 + dilation 2, uneven pad', x: [1, 15, 13, 4], k: [3, 3], cout: 4, stride: [2, 2], pad: [1, 2, 3, 0], dilation: [2, 2], bias: true },
  { name: '5x3 filter, stride [2, 1]', x: [1, 9, 8, 5], k: [5, 3], cout: 6, stride: [2, 1], pad: [2, 2, 1, 1], bias: true },
  { name: '7x7 stride 2 pad 3 (stem)', x: [1, 17, 15, 3], k: [7, 7], cout: 16, stride: [2, 2], pad: [3, 3, 3, 3], bias: true, relu: true },
  { name: '5x5 filter larger than the 3x3 input', x: [1, 3, 3, 2], k: [5, 5], cout: 3, pad: [2, 2, 2, 2] },
  { name: '3x3 groups 2', x: [1, 7, 6, 6], k: [3, 3], cout: 10, pad: [1, 1, 1, 1], groups: 2, bias: true },
  { name: '3x3 groups 4, stride 2, ReLU', x: [1, 12, 12, 16], k: [3, 3], cout: 32, stride: [2, 2], pad: [1, 1, 1, 1], groups: 4, bias: true, relu: true },
  { name: 'depthwise 3x3, 24 channels', x: [1, 14, 13, 24], k: [3, 3], cout: 24, pad: [1, 1, 1, 1], groups: 24, bias: true },
  { name: 'depthwise 5 channels, stride 2, dilation 2', x: [2, 11, 9, 5], k: [3, 3], cout: 5, stride: [2, 2], pad: [2, 2, 2, 2], dilation: [2, 2], groups: 5, relu: true },
  { name: 'depthwise 5x5, 21 channels (16 + 4 + 1)', x: [1, 8, 9, 21], k: [5, 5], cout: 21, pad: [2, 1, 0, 2], groups: 21, bias: true, relu: true },
  { name: 'depthwise multiplier 2 (grouped path)', x: [1, 6, 7, 4], k: [3, 3], cout: 8, pad: [1, 1, 1, 1], groups: 4, bias: true },
  // Winograd F(2x2, 3x3): odd sizes (half tiles at the right and bottom), no padding, asymmetric
  // and larger-than-the-filter padding, batch 2, a cout tail past the last 8-channel panel, more
  // tiles than one block (256 at cin 8)
  { name: 'winograd: odd sizes, no padding, cout 12', x: [1, 9, 7, 12], k: [3, 3], cout: 12 },
  { name: 'winograd: batch 2, asymmetric pad, ReLU', x: [2, 6, 5, 8], k: [3, 3], cout: 20, pad: [0, 2, 1, 0], bias: true, relu: true },
  { name: 'winograd: 1x1 image, pad 2', x: [1, 1, 1, 16], k: [3, 3], cout: 8, pad: [2, 2, 2, 2], bias: true },
  { name: 'winograd: 380 tiles (two blocks), cin 8', x: [1, 40, 38, 8], k: [3, 3], cout: 8, pad: [1, 1, 1, 1], bias: true, relu: true },
  { name: 'winograd: cin 36 cout 36', x: [1, 11, 12, 36], k: [3, 3], cout: 36, pad: [1, 1, 1, 1], bias: true },
  // filter rows as taps (igemmRows): a stem of several blocks with left and right padding patches,
  // batch 2, vertical dilation only, an image narrower than the filter, padding wider than the filter
  { name: 'rows: 7x7 stride 2 stem, 3 -> 20, 3 blocks, ReLU', x: [2, 30, 29, 3], k: [7, 7], cout: 20, stride: [2, 2], pad: [3, 2, 3, 2], bias: true, relu: true },
  { name: 'rows: 3x5 filter, dilation [2, 1]', x: [1, 12, 11, 2], k: [3, 5], cout: 9, pad: [2, 2, 2, 2], dilation: [2, 1], bias: true },
  { name: 'rows: 5x5 on a 6x3 image, pad 4 left 1 right', x: [1, 6, 3, 1], k: [5, 5], cout: 8, pad: [2, 2, 4, 1] },
];

function inputs(c: Case, seed: number) {
  const groups = c.groups ?? 1;
  const [kh, kw] = c.k;
  const cinG = c.x[3] / groups;
  const x: Tensor = { data: randomF32(c.x.reduce((a, b) => a * b, 1), seed), shape: [...c.x] };
  const w: Tensor = { data: randomF32(kh * kw * cinG * c.cout, seed + 1), shape: [kh, kw, cinG, c.cout] };
  const bias = c.bias ? randomF32(c.cout, seed + 2) : undefined;
  const opts: Conv2dOptions = {
    stride: c.stride ?? [1, 1], pad: c.pad ?? [0, 0, 0, 0], dilation: c.dilation ?? [1, 1],
    groups, bias, activation: c.relu ? 'relu' : 'none',
  };
  return { x, w, bias, opts };
}

function fastKernels(c: Case): FastConvKernel[] {
  const groups = c.groups ?? 1;
  const kinds: FastConvKernel[] = ['igemm'];
  const pad = c.pad ?? [0, 0, 0, 0];
  const stride = c.stride ?? [1, 1];
  if (c.k[0] === 1 && c.k[1] === 1 && stride[0] === 1 && stride[1] === 1 && pad.every((p) => p === 0)) kinds.push('gemm1x1');
  if (groups === c.x[3] && groups === c.cout) kinds.push('depthwise');
  if (winogradFits(c.k[0], c.k[1], c.x[3], c.cout, groups, stride, c.dilation ?? [1, 1])) kinds.push('winograd');
  if (prefersIgemmRows(c.k[1], c.x[3] / groups, groups, (c.dilation ?? [1, 1])[1])) kinds.push('igemmRows');
  return kinds;
}

test('conv2d: scalar spec equals TensorFlow.js conv2d (grouped by splitting, dilation by a zero-filled filter)', async () => {
  await loadKernels();
  for (const [i, c] of CASES.entries()) {
    const { x, w, bias, opts } = inputs(c, 100 + i * 7);
    const want = await refConv2d(x, w, {
      stride: c.stride ?? [1, 1], pad: c.pad ?? [0, 0, 0, 0], dilation: c.dilation ?? [1, 1],
      groups: c.groups ?? 1, bias, relu: !!c.relu,
    });
    expectCloseTensor(c.name, conv2d(x, w, { ...opts, kernel: 'scalar' }), want);
  }
});

test('conv2d: every fast kernel (auto choice, igemm, igemmRows, gemm1x1, depthwise, winograd) equals the scalar spec', async () => {
  await loadKernels();
  assert.ok(CASES.filter((c) => fastKernels(c).includes('winograd')).length >= 7, 'the Winograd kernel is among those tested');
  assert.ok(CASES.filter((c) => fastKernels(c).includes('igemmRows')).length >= 10, 'the igemmRows kernel is among those tested');
  for (const [i, c] of CASES.entries()) {
    const { x, w, opts } = inputs(c, 100 + i * 7);
    const spec = conv2d(x, w, { ...opts, kernel: 'scalar' });
    expectCloseTensor(`${c.name} [auto]`, conv2d(x, w, opts), spec);
    for (const kernel of fastKernels(c)) expectCloseTensor(`${c.name} [${kernel}]`, conv2d(x, w, { ...opts, kernel }), spec);
  }
});

test('conv2d: hand-computed cases (identity 1x1, 3x3 box sum with zero padding, ReLU)', async () => {
  await loadKernels();
  const x: Tensor = { data: Float32Array.from({ length: 9 }, (_, i) => i + 1), shape: [1, 3, 3, 1] };
  const ones: Tensor = { data: new Float32Array(9).fill(1), shape: [3, 3, 1, 1] };
  // sums of the 3x3 neighbourhoods of [[1,2,3],[4,5,6],[7,8,9]] inside the image
  const box = [12, 21, 16, 27, 45, 33, 24, 39, 28];
  for (const kernel of ['scalar', 'auto'] as const) {
    assert.equal(Array.from(conv2d(x, ones, { pad: 1, kernel }).data), box);
    assert.equal(Array.from(conv2d(x, ones, { pad: 1, bias: Float32Array.of(-30), activation: 'relu', kernel }).data), box.map((v) => Math.max(v - 30, 0)));
  }
  const eye: Tensor = { data: Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), shape: [1, 1, 3, 3] };
  const rgb: Tensor = { data: randomF32(5 * 6 * 3, 9), shape: [1, 5, 6, 3] };
  assert.equal(conv2d(rgb, eye).data, rgb.data);
  assert.equal(conv2d(rgb, eye, { kernel: 'igemm' }).data, rgb.data);
});

test('conv2d: NaN in x reaches exactly the outputs whose window covers it, through ReLU, in every kernel', async () => {
  await loadKernels();
  const x: Tensor = { data: randomF32(1 * 7 * 9 * 8, 41), shape: [1, 7, 9, 8] };
  x.data[(3 * 9 + 4) * 8 + 5] = NaN; // pixel (3, 4), channel 5
  const cases: [Tensor, Conv2dOptions, ('auto' | FastConvKernel)[]][] = [
    [{ data: randomF32(3 * 3 * 8 * 12, 42), shape: [3, 3, 8, 12] }, { pad: 1 }, ['auto', 'igemm', 'winograd']],
    [{ data: randomF32(8 * 12, 43), shape: [1, 1, 8, 12] }, {}, ['auto', 'igemm']],
    [{ data: randomF32(3 * 3 * 8, 44), shape: [3, 3, 1, 8] }, { pad: 1, groups: 8 }, ['auto', 'igemm']],
  ];
  for (const [w, opts, kernels] of cases) {
    const spec = conv2d(x, w, { ...opts, activation: 'relu', kernel: 'scalar' });
    const [, oh, ow, cout] = spec.shape;
    for (let i = 0; i < spec.data.length; i++) {
      const c = i % cout;
      const px = Math.floor(i / cout);
      const [oy, ox] = [Math.floor(px / ow), px % ow];
      const covers = Math.abs(oy - 3) <= (w.shape[0] >> 1) && Math.abs(ox - 4) <= (w.shape[1] >> 1) && (opts.groups !== 8 || c === 5);
      assert.is(Number.isNaN(spec.data[i]), covers, `spec output (${oy}, ${ox}, ${c}) of ${oh}x${ow}`);
    }
    for (const kernel of kernels) {
      const fast = conv2d(x, w, { ...opts, activation: 'relu', kernel });
      assert.equal(Array.from(fast.data, Number.isNaN), Array.from(spec.data, Number.isNaN), `NaN pattern, ${kernel}`);
    }
  }
});

test("conv2d: pad 'same' is TF SAME (odd sizes, stride 2, dilation 2)", async () => {
  await loadKernels();
  const tf = await tfCpu();
  for (const [h, w, k, s, d] of [[9, 10, 3, 2, 1], [8, 8, 3, 1, 1], [7, 5, 4, 2, 1], [11, 9, 3, 1, 2], [6, 7, 1, 2, 1]]) {
    const x: Tensor = { data: randomF32(h * w * 3, h * 31 + w), shape: [1, h, w, 3] };
    const wt: Tensor = { data: randomF32(k * k * 3 * 5, k + 77), shape: [k, k, 3, 5] };
    const y = tf.tidy(() => tf.conv2d(tf.tensor4d(x.data, [1, h, w, 3]), tf.tensor4d(wt.data, [k, k, 3, 5]), s, 'same', 'NHWC', d));
    const want: Tensor = { data: new Float32Array(await y.data()), shape: y.shape };
    y.dispose();
    expectCloseTensor(`same ${h}x${w} k${k} s${s} d${d}`, conv2d(x, wt, { pad: 'same', stride: s, dilation: d }), want);
    expectCloseTensor(`same ${h}x${w} k${k} s${s} d${d} scalar`, conv2d(x, wt, { pad: 'same', stride: s, dilation: d, kernel: 'scalar' }), want);
  }
});

test('conv2d: PyTorch contract cases (both the spec and the fast kernels)', async () => {
  await loadKernels();
  const cases = loadCases('conv2d');
  assert.ok(cases.length >= 7);
  for (const [i, c] of cases.entries()) {
    const x = tensorOf(c.x);
    const w = tensorOf(c.w);
    const want = tensorOf(c.y);
    const opts: Conv2dOptions = {
      bias: tensorOf(c.bias), stride: c.stride as number, pad: c.pad as number, dilation: c.dilation as number,
      groups: c.groups as number, activation: c.activation as 'none' | 'relu',
    };
    expectCloseTensor(`contract ${i} scalar`, conv2d(x, w, { ...opts, kernel: 'scalar' }), want);
    expectCloseTensor(`contract ${i} auto`, conv2d(x, w, opts), want);
    expectCloseTensor(`contract ${i} igemm`, conv2d(x, w, { ...opts, kernel: 'igemm' }), want);
  }
});

test('conv2d: pointer level packs once, runs many inputs, frees everything', async () => {
  const k = await loadKernels();
  const before = k.heap.allocatedBytes;
  const w = randomF32(3 * 3 * 6 * 10, 5);
  const bias = randomF32(10, 6);
  const packed = packConv2d(k, w, [3, 3, 6, 10], { bias });
  for (const [n, h, wd] of [[1, 7, 9], [2, 4, 4], [1, 12, 5]]) {
    const x: Tensor = { data: randomF32(n * h * wd * 6, h * 13 + wd), shape: [n, h, wd, 6] };
    const outShape = conv2dOutputShape(x.shape, packed, { stride: 2, pad: [1, 0, 1, 0] });
    const size = outShape.reduce((a, b) => a * b, 1);
    const xp = k.heap.allocF32(x.data);
    const op = k.heap.alloc(size * 4);
    const shape = conv2dInto(k, packed, xp, x.shape, op, { stride: 2, pad: [1, 0, 1, 0], activation: 'relu' });
    assert.equal(shape, outShape);
    const got: Tensor = { data: k.heap.f32(op, size).slice(), shape };
    const want = conv2d(x, { data: w, shape: [3, 3, 6, 10] }, { bias, stride: 2, pad: [1, 0, 1, 0], activation: 'relu', kernel: 'scalar' });
    expectCloseTensor(`pointer level ${n}x${h}x${wd}`, got, want);
    k.heap.release(xp);
    k.heap.release(op);
  }
  packed.release();
  packed.release(); // idempotent
  assert.is(k.heap.allocatedBytes, before);
  assert.throws(() => conv2dInto(k, packed, 0, [1, 3, 3, 6], 0), /released/);
  // the public op leaves nothing allocated, whichever kernel runs
  const x: Tensor = { data: randomF32(2 * 5 * 5 * 4, 1), shape: [2, 5, 5, 4] };
  for (const [wShape, groups] of [[[3, 3, 4, 8], 1], [[1, 1, 4, 8], 1], [[3, 3, 1, 4], 4]] as const) {
    const size = wShape.reduce((a: number, b: number) => a * b, 1);
    conv2d(x, { data: randomF32(size, 2), shape: [...wShape] }, { pad: wShape[0] === 3 ? 1 : 0, groups });
  }
  assert.is(k.heap.allocatedBytes, before);
});

test('conv kernels: every conv export the TypeScript side declares exists in this build', async () => {
  const k = await loadKernels();
  const names = [
    'conv2dScalar', 'conv2d1x1Gemm', 'conv2dIgemm', 'conv2dIgemmScratchBytes', 'depthwiseConv2d',
    'gemmPackedFloats', 'packGemmWeights', 'deconvPackedFloats', 'packDeconvWeights', 'packDepthwiseWeights',
    'conv2dTransposeScalar', 'conv2dTransposeIgemm', 'conv2dTransposeScratchBytes',
  ] as const;
  for (const name of names) assert.type(k.exports[name], 'function', name);
  // the benchmark's peak loop lives in a module of its own (bench/wasm/), not in the shipped kernels
  assert.not.ok('simdPeakLoop' in k.exports);
  const peak = await loadPeakLoop(k.variant);
  assert.ok(peak.simdPeakLoop(10) > 0);
  assert.is(peak.simdPeakFlopsPerIter(), k.variant === 'relaxed' ? 96 : 64);
});

test('conv2d: clear errors for bad input', async () => {
  await loadKernels();
  const x: Tensor = { data: new Float32Array(1 * 5 * 5 * 4), shape: [1, 5, 5, 4] };
  const w: Tensor = { data: new Float32Array(3 * 3 * 4 * 8), shape: [3, 3, 4, 8] };
  const bad: [string, () => unknown, RegExp][] = [
    ['rank of x', () => conv2d({ data: new Float32Array(100), shape: [5, 5, 4] }, w), /^conv2d: x must have rank 4/],
    ['rank of w', () => conv2d(x, { data: new Float32Array(36), shape: [3, 3, 4] }), /w must have rank 4/],
    ['dtype', () => conv2d({ data: new Float64Array(100) as unknown as Float32Array, shape: [1, 5, 5, 4] }, w), /x\.data must be a Float32Array/],
    ['data length', () => conv2d({ data: new Float32Array(99), shape: [1, 5, 5, 4] }, w), /x\.data has 99 elements/],
    ['channels', () => conv2d(x, { data: new Float32Array(3 * 3 * 3 * 8), shape: [3, 3, 3, 8] }), /x has 4 channels but w \[3,3,3,8\] takes 3/],
    ['groups vs cin', () => conv2d(x, w, { groups: 3 }), /groups 3 does not divide the 4 input channels/],
    ['groups vs cout', () => conv2d({ data: new Float32Array(150), shape: [1, 5, 5, 6] }, { data: new Float32Array(3 * 3 * 2 * 8), shape: [3, 3, 2, 8] }, { groups: 3 }), /groups 3 does not divide the 8 output channels/],
    ['groups value', () => conv2d(x, w, { groups: 0 }), /groups must be a positive integer, got 0/],
    ['stride', () => conv2d(x, w, { stride: 0 }), /stride must be a positive integer, got 0/],
    ['stride pair', () => conv2d(x, w, { stride: [1, 1.5] }), /stride\[1\] must be a positive integer, got 1.5/],
    ['dilation', () => conv2d(x, w, { dilation: -1 }), /dilation must be a positive integer/],
    ['pad', () => conv2d(x, w, { pad: -1 }), /pad must be a non-negative integer/],
    ['pad array', () => conv2d(x, w, { pad: [1, 1, 1] as unknown as number }), /pad must be a non-negative integer, \[top, bottom, left, right\] or 'same'/],
    ['pad string', () => conv2d(x, w, { pad: 'valid' as 'same' }), /pad must be/],
    ['activation', () => conv2d(x, w, { activation: 'gelu' as 'relu' }), /activation must be 'none' or 'relu', got "gelu"/],
    ['bias length', () => conv2d(x, w, { bias: new Float32Array(7) }), /bias has 7 values but the filter has 8 output channels/],
    ['bias type', () => conv2d(x, w, { bias: [1, 2] as unknown as Float32Array }), /bias must be a Float32Array/],
    ['output < 1', () => conv2d(x, { data: new Float32Array(7 * 7 * 4), shape: [7, 7, 4, 1] }), /output size -1x-1 < 1/],
    ['dilated output < 1', () => conv2d(x, w, { dilation: 3 }), /output size -1x-1 < 1/],
    ['empty x', () => conv2d({ data: new Float32Array(0), shape: [0, 5, 5, 4] }, w), /x must not be empty/],
    ['kernel choice', () => conv2d(x, w, { kernel: 'gemm1x1' }), /kernel 'gemm1x1' cannot run this layer/],
    ['kernel depthwise', () => conv2d(x, w, { kernel: 'depthwise' }), /kernel 'depthwise' cannot run this layer/],
    ['kernel winograd, 4 channels', () => conv2d(x, w, { kernel: 'winograd' }), /kernel 'winograd' cannot run this layer \(w \[3,3,4,8\].*8 or more channels/],
    ['kernel igemmRows, dilation 2', () => conv2d(x, w, { dilation: 2, kernel: 'igemmRows' }), /kernel 'igemmRows' cannot run this layer \(w \[3,3,4,8\], groups 1, dilation \[2, 2\]\)/],
    ['kernel igemmRows, 1x1', () => conv2d(x, { data: new Float32Array(32), shape: [1, 1, 4, 8] }, { kernel: 'igemmRows' }), /kernel 'igemmRows' cannot run this layer/],
    ['kernel igemmRows, 33 channels', () => conv2d({ data: new Float32Array(3 * 3 * 33), shape: [1, 3, 3, 33] }, { data: new Float32Array(9 * 33 * 4), shape: [3, 3, 33, 4] }, { kernel: 'igemmRows' }), /kernel 'igemmRows' cannot run this layer .*at most 32 input channels/],
    ['kernel winograd, stride 2', () => conv2d({ data: new Float32Array(200), shape: [1, 5, 5, 8] }, { data: new Float32Array(576), shape: [3, 3, 8, 8] }, { stride: 2, kernel: 'winograd' }), /kernel 'winograd' cannot run this layer .*stride \[2, 2\]/],
    ['kernel name', () => conv2d(x, w, { kernel: 'fast' as 'auto' }), /kernel must be 'auto', 'scalar'/],
  ];
  for (const [label, fn, re] of bad) assert.throws(fn, re, label);
  const k = await loadKernels();
  assert.throws(() => packConv2d(k, new Float32Array(10), [3, 3, 4, 8]), /w has 10 values but shape \[3,3,4,8\] needs 288/);
  assert.throws(() => packConv2d(k, new Float32Array(288), [3, 3, 4, 8], { layout: 'depthwise' }), /depthwise layout needs groups = cout/);
  assert.throws(() => packConv2d(k, new Float32Array(288), [3, 3, 4, 8], { layout: 'winograd' }), /winograd layout needs a 3x3 filter, groups 1 and 8 or more input and output channels in multiples of 4, got w \[3,3,4,8\]/);
  const wino = packConv2d(k, new Float32Array(576), [3, 3, 8, 8], { layout: 'winograd' });
  try {
    assert.throws(() => conv2dInto(k, wino, 16, [1, 5, 5, 8], 16, { stride: 2 }), /layout 'winograd' run stride 1 and dilation 1 only, got stride \[2, 2\]/);
    assert.throws(() => conv2dInto(k, wino, 16, [1, 5, 5, 8], 16, { kernel: 'igemm' }), /kernel 'igemm' needs weights packed with layout 'gemm'/);
  } finally {
    wino.release();
  }
  const packed = packConv2d(k, new Float32Array(288), [3, 3, 4, 8]);
  try {
    assert.throws(() => conv2dInto(k, packed, 16, [1, 5, 5, 3], 16), /x has 3 channels but the filter takes 4 per group x 1 groups = 4/);
    assert.throws(() => conv2dInto(k, packed, 16, [1, 5, 5, 4], k.exports.memory.buffer.byteLength), /out \[\d+, \d+\) is outside kernel memory/);
    assert.throws(() => conv2dInto({ ...k }, packed, 16, [1, 5, 5, 4], 16), /packed weights live in another kernel instance/);
  } finally {
    packed.release();
  }
});

test.run();
