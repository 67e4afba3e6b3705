// Grouped and depthwise transposed conv (PyTorch ConvTranspose2d with groups, weights
// [kh, kw, cout / groups, cin]): the runtime's scalar spec and its auto path (the SIMD depthwise
// kernel for groups = cin = cout) against PyTorch (test/fixtures/contract/conv2dTranspose-grouped.json,
// scripts/make-grouped-deconv-fixtures.py), the SIMD kernel against the spec at channel counts
// below, at and above its 4- and 16-channel steps, the trainer's TensorFlow.js grouped deconv
// against the same cases, and the validation errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { conv2dTranspose, type Conv2dTransposeOptions } from '../../runtime/ops/conv.js';
import { packConv2dTranspose } from '../../runtime/ops/conv-packed.js';
import type { Tensor } from '../../runtime/ops/tensor.js';
import { deconvTorch } from '../../trainer/model/torch-ops.js';
import { loadCases, tensorOf } from '../helpers/decode-fixtures.js';
import { loadKernels } from '../helpers/kernels.js';
import { randomF32 } from '../helpers/random.js';
import { tfCpu } from '../helpers/tf.js';
import { expectCloseTensor } from '../helpers/expect-tensor.js';

function expectClose(label: string, got: Tensor, want: Tensor, tol = 1e-5): void {
  expectCloseTensor(label, got, want, tol);
}

function fixture(c: Record<string, unknown>) {
  const x = tensorOf(c.x);
  const w = tensorOf(c.w);
  const opts: Conv2dTransposeOptions = {
    stride: c.stride as number,
    pad: c.pad as number,
    outputPadding: c.outputPadding as number,
    groups: c.groups as number,
    activation: c.activation as 'none' | 'relu',
    ...(c.bias ? { bias: tensorOf(c.bias).data } : {}),
  };
  const label = `x [${x.shape}] w [${w.shape}] groups ${c.groups} stride ${c.stride} pad ${c.pad}`;
  return { x, w, opts, y: tensorOf(c.y), label };
}

test('conv2dTranspose groups: the scalar spec and the auto path equal PyTorch ConvTranspose2d(groups)', async () => {
  await loadKernels();
  const cases = loadCases('conv2dTranspose-grouped');
  assert.ok(cases.some((c) => (c.groups as number) === (tensorOf(c.x).shape[3])) && cases.some((c) => tensorOf(c.w).shape[2] > 1 && (c.groups as number) > 1));
  for (const c of cases) {
    const { x, w, opts, y, label } = fixture(c);
    expectClose(`scalar ${label}`, conv2dTranspose(x, w, { ...opts, kernel: 'scalar' }), y);
    expectClose(`auto ${label}`, conv2dTranspose(x, w, opts), y);
  }
});

test('conv2dTranspose depthwise: the SIMD kernel equals the scalar spec (channels 1..37, strides 2 and 4, batch 2)', async () => {
  await loadKernels();
  let seed = 100;
  for (const c of [1, 3, 4, 5, 15, 16, 17, 32, 37]) {
    for (const [k, stride, pad, outputPadding] of [[4, 2, 1, 0], [8, 4, 2, 0], [3, 2, 1, 1], [3, 1, 2, 0]]) {
      const n = c === 5 ? 2 : 1;
      const x: Tensor = { data: randomF32(n * 5 * 6 * c, seed++), shape: [n, 5, 6, c] };
      const w: Tensor = { data: randomF32(k * k * c, seed++), shape: [k, k, 1, c] };
      const opts: Conv2dTransposeOptions = { stride, pad, outputPadding, groups: c, bias: randomF32(c, seed++), activation: c % 2 ? 'relu' : 'none' };
      const want = conv2dTranspose(x, w, { ...opts, kernel: 'scalar' });
      expectClose(`c ${c} k ${k} s ${stride} p ${pad} op ${outputPadding}`, conv2dTranspose(x, w, opts), want, 1e-6);
    }
  }
});

test('conv2dTranspose groups: errors name the argument', async () => {
  const kn = await loadKernels();
  const x: Tensor = { data: new Float32Array(2 * 2 * 6), shape: [1, 2, 2, 6] };
  const w: Tensor = { data: new Float32Array(4 * 4 * 6), shape: [4, 4, 1, 6] };
  assert.throws(() => conv2dTranspose(x, w, { stride: 2, groups: 4 }), /conv2dTranspose: groups 4 does not divide the 6 input channels/);
  assert.throws(() => conv2dTranspose(x, w, { stride: 2, groups: 0 }), /conv2dTranspose: groups/);
  assert.throws(() => conv2dTranspose(x, w, { stride: 2, groups: 6, bias: new Float32Array(3) }), /bias has 3 values but the filter has 6 output channels/);
  assert.throws(() => packConv2dTranspose(kn, w.data, w.shape, { groups: 5 }), /packConv2dTranspose: groups 5 does not divide the 6 input channels/);
});

test('deconvTorch groups (trainer, TensorFlow.js): equals PyTorch ConvTranspose2d(groups), depthwise and general', async () => {
  const tf = await tfCpu();
  for (const c of loadCases('conv2dTranspose-grouped')) {
    const { x, w, opts, y, label } = fixture(c);
    const got = tf.tidy(() => {
      let out = deconvTorch(tf, tf.tensor4d(x.data, x.shape as [number, number, number, number]), tf.tensor4d(w.data, w.shape as [number, number, number, number]), {
        stride: opts.stride as number, pad: opts.pad as number, outputPadding: opts.outputPadding as number, groups: opts.groups,
      });
      if (opts.bias) out = tf.add(out, tf.tensor1d(opts.bias as Float32Array)) as Tensor4D;
      if (opts.activation === 'relu') out = tf.relu(out);
      return { data: out.dataSync() as Float32Array, shape: out.shape };
    });
    expectClose(`tfjs ${label}`, got, y, 1e-4);
  }
});

test.run();
