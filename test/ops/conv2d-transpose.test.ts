// conv2dTranspose (PyTorch ConvTranspose2d semantics, weights [kh, kw, cout, cin]): the scalar spec
// against TensorFlow.js (full transposed conv, then cropped / extended), the phase-split GEMM kernel
// against the spec, the PyTorch contract cases, the pointer-level API and the validation errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { conv2dTranspose, type Conv2dTransposeOptions } from '../../runtime/ops/conv.js';
import { conv2dTransposeInto, conv2dTransposeOutputShape, packConv2dTranspose } from '../../runtime/ops/conv-packed.js';
import type { Tensor } from '../../runtime/ops/tensor.js';
import { loadCases, tensorOf } from '../helpers/decode-fixtures.js';
import { loadKernels } from '../helpers/kernels.js';
import { randomF32 } from '../helpers/random.js';
import { refConv2dTranspose } from './conv-reference.js';
import { expectCloseTensor } from '../helpers/expect-tensor.js';


interface Case {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  cout: number;
  stride: [number, number];
  pad?: [number, number, number, number];
  outputPadding?: [number, number];
  bias?: boolean;
  relu?: boolean;
}

const CASES: Case[] = [
  { name: 'CenterNet 4x4 stride 2 pad 1', x: [1, 8, 9, 16], k: [4, 4], cout: 8, stride: [2, 2], pad: [1, 1, 1, 1], bias: true, relu: true },
  { name: '4x4 s2 p1, cin 5 cout 11 (tails), batch 2', x: [2, 5, 6, 5], k: [4, 4], cout: 11, stride: [2, 2], pad: [1, 1, 1, 1], bias: true },
  { name: '2x2 stride 2, no padding', x: [1, 7, 7, 8], k: [2, 2], cout: 8, stride: [2, 2] },
  { name: '3x3 s2 p1 + outputPadding 1', x: [1, 5, 6, 6], k: [3, 3], cout: 10, stride: [2, 2], pad: [1, 1, 1, 1], outputPadding: [1, 1], bias: true },
  { name: '3x3 stride 1 pad 1 (a plain conv)', x: [1, 6, 5, 4], k: [3, 3], cout: 3, stride: [1, 1], pad: [1, 1, 1, 1], relu: true },
  { name: '1x1 stride 3: phases without taps (bias only)', x: [1, 4, 3, 3], k: [1, 1], cout: 5, stride: [3, 3], bias: true },
  { name: '1x1 s3 + outputPadding 2', x: [1, 3, 4, 2], k: [1, 1], cout: 4, stride: [3, 3], outputPadding: [2, 1], bias: true },
  { name: '5x3 filter, stride [3, 2], asymmetric pad', x: [1, 4, 5, 7], k: [5, 3], cout: 9, stride: [3, 2], pad: [2, 0, 1, 2], outputPadding: [1, 0], bias: true },
  { name: '4x4 s2, pad 3 crops more than one phase', x: [1, 6, 6, 4], k: [4, 4], cout: 4, stride: [2, 2], pad: [3, 3, 2, 1] },
  { name: 'single input pixel', x: [1, 1, 1, 3], k: [4, 4], cout: 2, stride: [2, 2], pad: [1, 1, 1, 1], bias: true },
  { name: '4x4 s2 p1, cin 64 cout 32 (k loop, 4 panels)', x: [1, 6, 7, 64], k: [4, 4], cout: 32, stride: [2, 2], pad: [1, 1, 1, 1], bias: true, relu: true },
];

function inputs(c: Case, seed: number) {
  const [kh, kw] = c.k;
  const cin = c.x[3];
  const x: Tensor = { data: randomF32(c.x.reduce((a, b) => a * b, 1), seed), shape: [...c.x] };
  const w: Tensor = { data: randomF32(kh * kw * c.cout * cin, seed + 1), shape: [kh, kw, c.cout, cin] };
  const bias = c.bias ? randomF32(c.cout, seed + 2) : undefined;
  const opts: Conv2dTransposeOptions = {
    stride: c.stride, pad: c.pad ?? [0, 0, 0, 0], outputPadding: c.outputPadding ?? [0, 0], bias, activation: c.relu ? 'relu' : 'none',
  };
  return { x, w, bias, opts };
}

test('conv2dTranspose: scalar spec equals TensorFlow.js (full transposed conv, cropped by pad, extended by outputPadding)', async () => {
  await loadKernels();
  for (const [i, c] of CASES.entries()) {
    const { x, w, bias, opts } = inputs(c, 300 + i * 5);
    const want = await refConv2dTranspose(x, w, {
      stride: c.stride, pad: c.pad ?? [0, 0, 0, 0], outputPadding: c.outputPadding ?? [0, 0], bias, relu: !!c.relu,
    });
    expectCloseTensor(c.name, conv2dTranspose(x, w, { ...opts, kernel: 'scalar' }), want);
  }
});

test('conv2dTranspose: the phase-split GEMM kernel equals the scalar spec', async () => {
  await loadKernels();
  for (const [i, c] of CASES.entries()) {
    const { x, w, opts } = inputs(c, 300 + i * 5);
    expectCloseTensor(c.name, conv2dTranspose(x, w, opts), conv2dTranspose(x, w, { ...opts, kernel: 'scalar' }));
  }
});

test('conv2dTranspose: hand-computed 2x2 stride 2 upsampling and output size formula', async () => {
  await loadKernels();
  // each input pixel becomes a 2x2 block of value * w: nearest-neighbour upsampling for w = 1
  const x: Tensor = { data: Float32Array.of(1, 2, 3, 4), shape: [1, 2, 2, 1] };
  const w: Tensor = { data: Float32Array.of(1, 1, 1, 1), shape: [2, 2, 1, 1] };
  const up = [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4];
  for (const kernel of ['scalar', 'auto'] as const) {
    const y = conv2dTranspose(x, w, { stride: 2, kernel });
    assert.equal(y.shape, [1, 4, 4, 1]);
    assert.equal(Array.from(y.data), up);
    // PyTorch: H_out = (H_in - 1) * stride - 2 * pad + kernel + output_padding
    assert.equal(conv2dTranspose({ data: new Float32Array(8 * 9 * 2), shape: [1, 8, 9, 2] }, { data: new Float32Array(16 * 3 * 2), shape: [4, 4, 3, 2] }, { stride: 2, pad: 1, kernel }).shape, [1, 16, 18, 3]);
    assert.equal(conv2dTranspose({ data: new Float32Array(5 * 6 * 2), shape: [1, 5, 6, 2] }, { data: new Float32Array(9 * 3 * 2), shape: [3, 3, 3, 2] }, { stride: 2, pad: 1, outputPadding: 1, kernel }).shape, [1, 10, 12, 3]);
  }
});

test('conv2dTranspose: PyTorch contract cases', async () => {
  await loadKernels();
  const cases = loadCases('conv2dTranspose');
  assert.ok(cases.length >= 3);
  for (const [i, c] of cases.entries()) {
    const x = tensorOf(c.x);
    const w = tensorOf(c.w);
    const want = tensorOf(c.y);
    const opts: Conv2dTransposeOptions = {
      bias: tensorOf(c.bias), stride: c.stride as number, pad: c.pad as number, outputPadding: c.outputPadding as number,
    };
    expectCloseTensor(`contract ${i} scalar`, conv2dTranspose(x, w, { ...opts, kernel: 'scalar' }), want);
    expectCloseTensor(`contract ${i} auto`, conv2dTranspose(x, w, opts), want);
  }
});

test('conv2dTranspose: pointer level packs once per stride and frees everything', async () => {
  const k = await loadKernels();
  const before = k.heap.allocatedBytes;
  const w = randomF32(4 * 4 * 6 * 5, 11);
  const bias = randomF32(6, 12);
  const packed = packConv2dTranspose(k, w, [4, 4, 6, 5], { bias, stride: 2 });
  for (const [n, h, wd] of [[1, 3, 4], [2, 5, 5]]) {
    const x: Tensor = { data: randomF32(n * h * wd * 5, h + wd), shape: [n, h, wd, 5] };
    const outShape = conv2dTransposeOutputShape(x.shape, packed, { pad: 1 });
    assert.equal(outShape, [n, 2 * h, 2 * wd, 6]);
    const size = outShape.reduce((a, b) => a * b, 1);
    const xp = k.heap.allocF32(x.data);
    const op = k.heap.alloc(size * 4);
    conv2dTransposeInto(k, packed, xp, x.shape, op, { pad: 1, activation: 'relu' });
    const got: Tensor = { data: k.heap.f32(op, size).slice(), shape: outShape };
    expectCloseTensor(`pointer ${n}x${h}x${wd}`, got, conv2dTranspose(x, { data: w, shape: [4, 4, 6, 5] }, { bias, stride: 2, pad: 1, activation: 'relu', kernel: 'scalar' }));
    k.heap.release(xp);
    k.heap.release(op);
  }
  packed.release();
  assert.is(k.heap.allocatedBytes, before);
  assert.throws(() => conv2dTransposeInto(k, packed, 0, [1, 3, 3, 5], 0), /released/);
});

test('conv2dTranspose: clear errors for bad input', async () => {
  await loadKernels();
  const x: Tensor = { data: new Float32Array(1 * 4 * 4 * 3), shape: [1, 4, 4, 3] };
  const w: Tensor = { data: new Float32Array(4 * 4 * 2 * 3), shape: [4, 4, 2, 3] };
  const bad: [string, () => unknown, RegExp][] = [
    ['rank', () => conv2dTranspose({ data: new Float32Array(48), shape: [4, 4, 3] }, w), /x must have rank 4/],
    ['dtype', () => conv2dTranspose(x, { data: new Int32Array(96) as unknown as Float32Array, shape: [4, 4, 2, 3] }), /w\.data must be a Float32Array/],
    ['channels', () => conv2dTranspose(x, { data: new Float32Array(4 * 4 * 3 * 2), shape: [4, 4, 3, 2] }), /x has 3 channels but w \[4,4,3,2\] \(\[kh, kw, cout, cin\]\) takes 2/],
    ['stride', () => conv2dTranspose(x, w, { stride: 0 }), /stride must be a positive integer, got 0/],
    ['pad', () => conv2dTranspose(x, w, { pad: -1 }), /pad must be a non-negative integer/],
    ["pad 'same'", () => conv2dTranspose(x, w, { pad: 'same' as unknown as number }), /pad must be a non-negative integer/],
    ['outputPadding >= stride', () => conv2dTranspose(x, w, { stride: 2, outputPadding: 2 }), /outputPadding \[2, 2\] must be smaller than stride \[2, 2\]/],
    ['outputPadding with stride 1', () => conv2dTranspose(x, w, { outputPadding: 1 }), /outputPadding \[1, 1\] must be smaller than stride \[1, 1\]/],
    ['outputPadding negative', () => conv2dTranspose(x, w, { stride: 2, outputPadding: -1 }), /outputPadding must be a non-negative integer/],
    ['output < 1', () => conv2dTranspose(x, w, { pad: 4 }), /output size -1x-1 < 1/],
    ['bias', () => conv2dTranspose(x, w, { bias: new Float32Array(3) }), /bias has 3 values but the filter has 2 output channels/],
    ['activation', () => conv2dTranspose(x, w, { activation: 'sigmoid' as 'relu' }), /activation must be 'none' or 'relu'/],
    ['kernel', () => conv2dTranspose(x, w, { kernel: 'igemm' as 'auto' }), /kernel must be 'auto' or 'scalar'/],
  ];
  for (const [label, fn, re] of bad) assert.throws(fn, re, label);
  const k = await loadKernels();
  const packed = packConv2dTranspose(k, w.data, w.shape, { stride: 2 });
  try {
    assert.throws(() => conv2dTransposeInto(k, packed, 16, [1, 4, 4, 5], 16), /x has 5 channels but the filter \[4,4,2,3\] takes 3/);
  } finally {
    packed.release();
  }
});

test.run();
