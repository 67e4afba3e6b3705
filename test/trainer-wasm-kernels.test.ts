// The training kernels registered for the TF.js wasm backend from our SIMD build
// (trainer/wasm-kernels): each gradient on wasm against the tfjs cpu backend's shipped kernels on
// the same random inputs (strides, 'same' / 'valid' / numeric / explicit padding, dimRoundingMode,
// batch > 1, channels off the SIMD widths, channel multipliers, transposed convs), dilation against
// an undilated conv with a zero-stuffed filter on cpu, steady-state memory, and errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tfCore from '@tensorflow/tfjs-core';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { ensureGradients, type TF } from '../trainer/backend.js';
import { WASM_NATIVE_KERNELS, wasmTrainingScratchBytes } from '../trainer/wasm-kernels/register.js';
import { kernels } from '../runtime/wasm/loader.js';
import { withBackend } from './helpers/trainer.js';
import { maxRelError, randomF32 } from './helpers/random.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
type Shape4 = [number, number, number, number];
type Rounding = 'floor' | 'round' | 'ceil';

// The cpu backend's kernels as tfjs ships them, captured before selectBackend replaces the weight
// gradients with the trainer's own TypeScript loops: the reference shares no code with ours.
const SHIPPED_CPU = new Map(
  ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter'].map((name) => [name, tfCore.getKernel(name, 'cpu')!] as const),
);

async function onShippedCpu<T>(fn: (tf: TF) => T): Promise<T> {
  await ensureGradients();
  const before = tfCore.engine().backendName as string | null;
  await tfCore.setBackend('cpu');
  const current = [...SHIPPED_CPU.keys()].map((name) => tfCore.getKernel(name, 'cpu')!);
  const swap = (configs: Iterable<tfCore.KernelConfig>) => {
    for (const c of configs) {
      tfCore.unregisterKernel(c.kernelName, 'cpu');
      tfCore.registerKernel(c);
    }
  };
  swap(SHIPPED_CPU.values());
  try {
    return fn(tfCore);
  } finally {
    swap(current);
    if (before) await tfCore.setBackend(before);
  }
}

/** Runs fn on the shipped cpu backend and on wasm; every named output must agree to 1e-4. */
async function compare(label: string, fn: (tf: TF) => Record<string, Float32Array>, fnWasm: (tf: TF) => Record<string, Float32Array> = fn): Promise<void> {
  const want = await onShippedCpu(fn);
  const got = await withBackend('wasm', (tf) => {
    assert.is(tf.getBackend(), 'wasm');
    return fnWasm(tf);
  });
  for (const key of Object.keys(want)) {
    assert.is(got[key].length, want[key].length, `${label} ${key}: length`);
    const e = relError(got[key], want[key]);
    assert.ok(e <= 1e-4, `${label} ${key}: max rel err ${e}`);
  }
}

/**
 * maxRelError with the floor at 1% of the reference's largest magnitude: the two backends sum in
 * different orders in float32, so values that cancel to near zero carry absolute, not relative, error.
 */
function relError(got: Float32Array, want: Float32Array): number {
  let peak = 0;
  for (const v of want) peak = Math.max(peak, Math.abs(v));
  return maxRelError(got, want, Math.max(1e-2 * peak, 1e-6));
}

interface ConvCase {
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 9, 11, 5], filter: [3, 3, 5, 7], strides: 1, pad: 'same' },
  { x: [3, 10, 8, 6], filter: [3, 3, 6, 9], strides: 2, pad: 'valid' },
  { x: [2, 8, 9, 3], filter: [2, 3, 3, 10], strides: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [2, 7, 6, 13], filter: [1, 1, 13, 17], strides: 2, pad: 'same' },
  { x: [2, 16, 14, 3], filter: [7, 7, 3, 16], strides: 2, pad: 3 },
  { x: [1, 10, 12, 20], filter: [3, 3, 20, 33], strides: 2, pad: 'same' },
  { x: [2, 5, 5, 8], filter: [3, 3, 8, 8], strides: 1, pad: 1 },
  // the Winograd path (3x3, stride 1, channels in multiples of 4; the forward from 16 outputs):
  // odd sizes, no padding (the input gradient's padding 2), asymmetric padding
  { x: [2, 9, 11, 16], filter: [3, 3, 16, 20], strides: 1, pad: 'same' },
  { x: [2, 8, 7, 12], filter: [3, 3, 12, 16], strides: 1, pad: 'valid' },
  { x: [1, 7, 9, 8], filter: [3, 3, 8, 16], strides: 1, pad: [[0, 0], [0, 2], [1, 0], [0, 0]] },
];

const tag = (c: { x: number[]; filter: number[]; strides: unknown; pad: unknown }) =>
  `x [${c.x}] filter [${c.filter}] strides ${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}`;

/** Gradients of sum(conv2d(x, w) * r) w.r.t. x and w: runs Conv2DBackpropInput and Conv2DBackpropFilter. */
function convGrads(c: ConvCase, seed: number) {
  return (tf: TF) =>
    tf.tidy(() => {
      const x = tf.tensor4d(randomF32(size(c.x), seed), c.x);
      const w = tf.tensor4d(randomF32(size(c.filter), seed + 1), c.filter);
      const yShape = tf.conv2d(x, w, c.strides, c.pad).shape;
      const r = tf.tensor(randomF32(size(yShape), seed + 2), yShape);
      const [dx, dw] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(tf.conv2d(a as Tensor4D, b as Tensor4D, c.strides, c.pad), r)))([x, w]);
      return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
    });
}

test('conv2d gradients (Conv2DBackpropInput, Conv2DBackpropFilter) on wasm equal the cpu backend', async () => {
  for (const [i, c] of CONV_CASES.entries()) await compare(`conv2d ${tag(c)}`, convGrads(c, 10 * i + 1));
});

test('conv2d forward (Conv2D, ours from 16 output channels) on wasm equals the cpu backend: strides, padding, dilation, rounding', async () => {
  const cases: (ConvCase & { dilations?: number; rounding?: Rounding })[] = [
    ...CONV_CASES,
    { x: [2, 12, 13, 8], filter: [3, 3, 8, 16], strides: 1, pad: 'same', dilations: 2 },
    { x: [2, 11, 9, 6], filter: [3, 3, 6, 24], strides: 2, pad: 1, rounding: 'ceil' },
    { x: [3, 6, 7, 32], filter: [1, 1, 32, 16], strides: 1, pad: 'valid' },
    { x: [1, 9, 9, 5], filter: [4, 4, 5, 20], strides: [2, 3], pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
  ];
  for (const [i, c] of cases.entries()) {
    await compare(`conv2d forward ${tag(c)}${c.dilations ? ` dilations ${c.dilations}` : ''}${c.rounding ? ` ${c.rounding}` : ''}`, (tf) =>
      tf.tidy(() => {
        const x = tf.tensor4d(randomF32(size(c.x), 1500 + i), c.x);
        const w = tf.tensor4d(randomF32(size(c.filter), 1600 + i), c.filter);
        const y = tf.conv2d(x, w, c.strides, c.pad as 'same', 'NHWC', c.dilations ?? 1, c.rounding);
        return { y: y.dataSync() as Float32Array };
      }),
    );
  }
});

test('conv2dTranspose: forward (Conv2DBackpropInput) and gradients on wasm equal the cpu backend', async () => {
  const cases: { x: Shape4; filter: Shape4; out: Shape4; strides: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 4, 4, 8], filter: [4, 4, 6, 8], out: [2, 8, 8, 6], strides: 2, pad: 'same' },
    { x: [2, 3, 5, 5], filter: [3, 3, 7, 5], out: [2, 7, 11, 7], strides: 2, pad: 'valid' },
    { x: [1, 6, 6, 9], filter: [3, 3, 4, 9], out: [1, 6, 6, 4], strides: 1, pad: 'same' },
  ];
  for (const [i, c] of cases.entries()) {
    await compare(`conv2dTranspose ${tag(c)}`, (tf) =>
      tf.tidy(() => {
        const x = tf.tensor4d(randomF32(size(c.x), 100 + i), c.x);
        const w = tf.tensor4d(randomF32(size(c.filter), 200 + i), c.filter);
        const f = (a: Tensor, b: Tensor) => tf.conv2dTranspose(a as Tensor4D, b as Tensor4D, c.out, c.strides, c.pad);
        const y = f(x, w);
        const r = tf.tensor(randomF32(size(c.out), 300 + i), c.out);
        const [dx, dw] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]);
        return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
      }),
    );
  }
});

test('Conv2DBackpropFilter / Conv2DBackpropInput with dimRoundingMode (numeric pad) equal the cpu backend', async () => {
  const cases: { x: Shape4; filter: Shape4; strides: number; pad: number; rounding: Rounding }[] = [
    { x: [2, 10, 9, 4], filter: [3, 3, 4, 6], strides: 2, pad: 1, rounding: 'ceil' },
    { x: [1, 11, 8, 5], filter: [2, 2, 5, 3], strides: 3, pad: 0, rounding: 'round' },
    { x: [2, 9, 9, 3], filter: [3, 3, 3, 5], strides: 2, pad: 0, rounding: 'floor' },
  ];
  for (const [i, c] of cases.entries()) {
    await compare(`${tag(c)} ${c.rounding}`, (tf) =>
      tf.tidy(() => {
        const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.rounding);
        const x = tf.tensor4d(randomF32(size(c.x), 400 + i), c.x);
        const w = tf.tensor4d(randomF32(size(c.filter), 500 + i), c.filter);
        const dy = tf.tensor4d(randomF32(size(info.outShape), 600 + i), info.outShape);
        const common = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.rounding };
        const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: c.filter }) as Tensor;
        const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...common, inputShape: c.x }) as Tensor;
        return { dw: dw.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
      }),
    );
  }
});

interface DepthwiseCase {
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
}

test('depthwiseConv2d gradients (DepthwiseConv2dNativeBackpropInput / Filter) on wasm equal the cpu backend', async () => {
  const cases: DepthwiseCase[] = [
    { x: [2, 9, 10, 20], filter: [3, 3, 20, 1], strides: 1, pad: 'same' },
    { x: [3, 8, 7, 7], filter: [3, 3, 7, 1], strides: 2, pad: 'valid' },
    { x: [2, 6, 6, 5], filter: [3, 3, 5, 2], strides: 2, pad: 'same' },
    { x: [2, 9, 8, 18], filter: [5, 3, 18, 1], strides: [1, 2], pad: [[0, 0], [2, 0], [1, 1], [0, 0]] },
    { x: [1, 7, 9, 33], filter: [3, 3, 33, 1], strides: 2, pad: 1 },
    { x: [2, 5, 6, 3], filter: [1, 1, 3, 3], strides: 1, pad: 'valid' },
  ];
  for (const [i, c] of cases.entries()) {
    await compare(`depthwise ${tag(c)}`, (tf) =>
      tf.tidy(() => {
        const x = tf.tensor4d(randomF32(size(c.x), 700 + i), c.x);
        const w = tf.tensor4d(randomF32(size(c.filter), 800 + i), c.filter);
        const f = (a: Tensor, b: Tensor) => tf.depthwiseConv2d(a as Tensor4D, b as Tensor4D, c.strides, c.pad);
        const yShape = f(x, w).shape;
        const r = tf.tensor(randomF32(size(yShape), 900 + i), yShape);
        const [dx, dw] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]);
        return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
      }),
    );
  }
});

test('depthwise gradient kernels with dilation equal an undilated conv by the zero-stuffed filter on cpu', async () => {
  // tfjs's depthwise gradient rejects dilation and its cpu kernels ignore it, so the reference is the
  // gradient of depthwiseConv2d(x, W') with W'[ky*d, kx*d] = W[ky, kx] and zeros between.
  const cases: (DepthwiseCase & { dilations: [number, number] })[] = [
    { x: [2, 11, 12, 9], filter: [3, 3, 9, 1], strides: 1, pad: 'same', dilations: [2, 2] },
    { x: [1, 12, 10, 4], filter: [3, 2, 4, 2], strides: 1, pad: 'valid', dilations: [3, 2] },
    { x: [2, 9, 9, 17], filter: [3, 3, 17, 1], strides: 1, pad: [[0, 0], [1, 3], [2, 0], [0, 0]], dilations: [2, 1] },
  ];
  for (const [i, c] of cases.entries()) {
    const [kh, kw, ch, m] = c.filter;
    const [dh, dw] = c.dilations;
    const stuffed: Shape4 = [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ch, m];
    const xs = randomF32(size(c.x), 1000 + i);
    const ws = randomF32(size(c.filter), 1100 + i);
    const wStuffed = new Float32Array(size(stuffed));
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        for (let j = 0; j < ch * m; j++) wStuffed[((ky * dh * stuffed[1] + kx * dw) * ch * m) + j] = ws[(ky * kw + kx) * ch * m + j];
      }
    }
    const dyFor = (shape: number[]) => randomF32(size(shape), 1200 + i);
    await compare(
      `depthwise dilation ${JSON.stringify(c.dilations)} ${tag(c)}`,
      (tf) =>
        tf.tidy(() => {
          const x = tf.tensor4d(xs, c.x);
          const w = tf.tensor4d(wStuffed, stuffed);
          const f = (a: Tensor, b: Tensor) => tf.depthwiseConv2d(a as Tensor4D, b as Tensor4D, c.strides, c.pad);
          const yShape = f(x, w).shape;
          const r = tf.tensor(dyFor(yShape), yShape);
          const [dx, dwS] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]);
          const full = dwS.dataSync();
          const dwOut = new Float32Array(size(c.filter));
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              for (let j = 0; j < ch * m; j++) dwOut[(ky * kw + kx) * ch * m + j] = full[((ky * dh * stuffed[1] + kx * dw) * ch * m) + j];
            }
          }
          return { dx: dx.dataSync() as Float32Array, dw: dwOut };
        }),
      (tf) =>
        tf.tidy(() => {
          const x = tf.tensor4d(xs, c.x);
          const w = tf.tensor4d(ws, c.filter);
          const yShape = tf.depthwiseConv2d(x, w, c.strides, c.pad, 'NHWC', c.dilations).shape;
          const dy = tf.tensor4d(dyFor(yShape), yShape);
          const attrs = { strides: c.strides, pad: c.pad, dilations: c.dilations };
          const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: c.x }) as Tensor;
          const dwT = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: c.filter }) as Tensor;
          return { dx: dx.dataSync() as Float32Array, dw: dwT.dataSync() as Float32Array };
        }),
    );
  }
});

test('the native kernels are registered for wasm, leave no tensors behind and allocate nothing in steady state', async () => {
  const c = CONV_CASES[0];
  await withBackend('wasm', (tf) => {
    for (const name of WASM_NATIVE_KERNELS) assert.ok(tf.getKernel(name, 'wasm'), name);
    const step = convGrads(c, 5);
    const dw = tf.tidy(() => {
      const x = tf.tensor4d(randomF32(size([2, 8, 8, 6]), 1), [2, 8, 8, 6]);
      const w = tf.tensor4d(randomF32(3 * 3 * 6, 2), [3, 3, 6, 1]);
      return tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.depthwiseConv2d(a as Tensor4D, b as Tensor4D, 1, 'same')))([x, w]);
    });
    tf.dispose(dw);
    step(tf);
    const heap = kernels().heap;
    const held = wasmTrainingScratchBytes();
    const allocated = heap.allocatedBytes;
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step(tf);
    assert.ok(held > 0, 'grow-only buffers exist');
    assert.is(wasmTrainingScratchBytes(), held);
    assert.is(heap.allocatedBytes, allocated);
    assert.is(tf.memory().numTensors, tensors);
  });
});

test('Identity on wasm shares its input\'s buffer (no copy), and each tensor outlives the other\'s disposal', async () => {
  await withBackend('wasm', (tf) => {
    const values = randomF32(2 * 3 * 4, 9);
    const x = tf.tensor3d(values, [2, 3, 4]);
    const y = tf.clone(x);
    assert.ok(y.dataId === x.dataId, 'the clone aliases the buffer (the backend\'s own Identity makes a new one)');
    x.dispose();
    assert.equal(Array.from(y.dataSync()), Array.from(values), 'the clone keeps the values after its source is disposed');
    const z = tf.clone(y);
    y.dispose();
    assert.equal(Array.from(z.dataSync()), Array.from(values));
    z.dispose();
    // int32 and bool tensors alias too; their values survive as well
    const i = tf.tensor1d([1, -2, 3], 'int32');
    const j = tf.clone(i);
    i.dispose();
    assert.equal(Array.from(j.dataSync()), [1, -2, 3]);
    j.dispose();
  });
});

test('NCHW Conv2DBackpropFilter / Conv2DBackpropInput on wasm (not our kernels) still equal the cpu backend', async () => {
  const xShape: Shape4 = [2, 4, 7, 6];
  const filter: Shape4 = [3, 3, 4, 5];
  await compare('NCHW', (tf) =>
    tf.tidy(() => {
      const info = tf.backend_util.computeConv2DInfo(xShape, filter, 2, 1, 'same', undefined, false, 'channelsFirst');
      const x = tf.tensor4d(randomF32(size(xShape), 1300), xShape);
      const w = tf.tensor4d(randomF32(size(filter), 1301), filter);
      const dy = tf.tensor4d(randomF32(size(info.outShape), 1302), info.outShape);
      const common = { strides: 2, pad: 'same', dataFormat: 'NCHW' };
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: filter }) as Tensor;
      const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...common, inputShape: xShape }) as Tensor;
      return { dw: dw.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
    }),
  );
});

test('bad kernel inputs are clear errors naming the kernel and the argument', async () => {
  await withBackend('wasm', (tf) => {
    const x = tf.zeros([1, 6, 6, 3]);
    const dyBad = tf.zeros([1, 5, 5, 4]);
    const dyInt = tf.zeros([1, 6, 6, 4], 'int32');
    const filter = tf.zeros([3, 3, 3, 4]);
    const run = (name: string, inputs: Record<string, Tensor>, attrs: Record<string, unknown>) => () =>
      tf.engine().runKernel(name, inputs, attrs as unknown as tfCore.NamedAttrMap);
    const same = { strides: 1, pad: 'same', dataFormat: 'NHWC' };
    assert.throws(run('Conv2DBackpropFilter', { x, dy: dyBad }, { ...same, filterShape: [3, 3, 3, 4] }), /Conv2DBackpropFilter: dy has shape \[1,5,5,4\] but the conv output is \[1,6,6,4\]/);
    assert.throws(run('Conv2DBackpropFilter', { x, dy: dyInt }, { ...same, filterShape: [3, 3, 3, 4] }), /Conv2DBackpropFilter: dy must be float32, got int32/);
    assert.throws(run('Conv2DBackpropFilter', { x, dy: tf.zeros([1, 6, 6, 4]) }, { ...same, filterShape: [3, 3, 3, 4], dilations: 2 }), /Conv2DBackpropFilter: dilations > 1 are not supported/);
    assert.throws(run('Conv2DBackpropFilter', { x, dy: tf.zeros([1, 6, 6, 4]) }, { ...same, filterShape: [3, 3, 4] }), /Conv2DBackpropFilter: filterShape must be 4 non-negative integers/);
    assert.throws(run('Conv2DBackpropInput', { dy: dyBad, filter }, { ...same, inputShape: [1, 6, 6, 3] }), /Conv2DBackpropInput: dy has shape \[1,5,5,4\] but the conv output is \[1,6,6,4\]/);
    assert.throws(run('Conv2DBackpropInput', { dy: tf.zeros([1, 6, 6, 4]), filter }, { ...same, inputShape: [1, 6, 6, 5] }), /Conv2DBackpropInput: filter \[3,3,3,4\] takes 3 input channels but inputShape \[1,6,6,5\] has 5/);
    assert.throws(run('Conv2DBackpropFilter', { x, dy: tf.zeros([1, 6, 6, 4]) }, { ...same, dataFormat: 'NWHC', filterShape: [3, 3, 3, 4] }), /Conv2DBackpropFilter: dataFormat must be 'NHWC' or 'NCHW'/);
    const dwFilter = tf.zeros([3, 3, 3, 1]);
    assert.throws(run('DepthwiseConv2dNativeBackpropInput', { dy: tf.zeros([1, 6, 6, 3]), filter: dwFilter }, { strides: 1, pad: 'same', dilations: 1, inputShape: [1, 6, 6, 4] }), /DepthwiseConv2dNativeBackpropInput: filter \[3,3,3,1\] takes 3 input channels but inputShape \[1,6,6,4\] has 4/);
    assert.throws(run('DepthwiseConv2dNativeBackpropFilter', { x, dy: tf.zeros([1, 3, 3, 3]) }, { strides: 1, pad: 'same', dilations: 1, filterShape: [3, 3, 3, 1] }), /DepthwiseConv2dNativeBackpropFilter: dy has shape \[1,3,3,3\] but the depthwise conv output is \[1,6,6,3\]/);
    assert.throws(run('DepthwiseConv2dNativeBackpropFilter', { x, dy: tf.zeros([1, 6, 6, 3]) }, { strides: 1, pad: 'same', dilations: 1, filterShape: [3, 3, 2, 1] }), /DepthwiseConv2dNativeBackpropFilter: filterShape \[3,3,2,1\] takes 2 input channels but x \[1,6,6,3\] has 3/);
    // Zero-size batches give empty gradients, not a crash.
    const empty = tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.zeros([0, 6, 6, 3]), dy: tf.zeros([0, 6, 6, 4]) }, { ...same, filterShape: [3, 3, 3, 4] } as unknown as tfCore.NamedAttrMap) as Tensor;
    assert.equal(Array.from(empty.dataSync()), new Array(3 * 3 * 3 * 4).fill(0));
  });
});

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

test.run();
