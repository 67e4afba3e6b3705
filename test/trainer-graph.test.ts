// The trainer's TensorFlow.js execution of the graph IR: PyTorch layer semantics against the
// PyTorch contract cases and plain-loop references, gradients of the linear layers against exact
// differences, batch norm in both modes, and the inference mode against an unfolded reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor, Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import { BN_EPS, GraphBuilder, HEATMAP_PRIOR_BIAS, INPUT, type Graph } from '../runtime/model/graph.js';
import { selectBackend, type TF } from '../trainer/backend.js';
import { conv2dTorch, deconvTorch, maxPoolTorch, upsampleNearest, type ConvGeometry } from '../trainer/model/torch-ops.js';
import { runGraph } from '../trainer/model/tf-graph.js';
import { exportParams, initParams, loadParams } from '../trainer/model/params.js';
import { loadCases, tensorOf } from './helpers/decode-fixtures.js';
import { randomF32 } from './helpers/random.js';
import { convRef, deconvRef, relErr, withBackend } from './helpers/trainer.js';

const cpu = async (): Promise<TF> => (await selectBackend('cpu', { log: () => {} })).tf;
const t4 = (tf: TF, data: Float32Array, shape: number[]) => tf.tensor4d(data, shape as [number, number, number, number]);

test('conv2dTorch: PyTorch Conv2d contract cases (padding, stride, dilation 2, depthwise, groups 4, batch 2)', async () => {
  const tf = await cpu();
  const cases = loadCases('trainer-conv2d');
  assert.ok(cases.some((c) => c.dilation === 2) && cases.some((c) => (c.groups as number) > 1));
  for (const c of cases) {
    const x = tensorOf(c.x);
    const w = tensorOf(c.w);
    const want = tensorOf(c.y);
    const got = tf.tidy(() => {
      let y: Tensor = conv2dTorch(tf, t4(tf, x.data, x.shape), t4(tf, w.data, w.shape), c as unknown as ConvGeometry);
      y = tf.add(y, tf.tensor1d(tensorOf(c.bias).data));
      return c.activation === 'relu' ? tf.relu(y) : y;
    });
    assert.equal(got.shape, want.shape);
    const e = relErr(got.dataSync(), want.data, 1e-2);
    got.dispose();
    assert.ok(e < 1e-4, `conv ${JSON.stringify(w.shape)} stride ${c.stride} dilation ${c.dilation} groups ${c.groups}: rel err ${e}`);
  }
});

test('deconvTorch: PyTorch ConvTranspose2d contract cases (pad 1, pad 0, outputPadding 1)', async () => {
  const tf = await cpu();
  for (const c of loadCases('trainer-conv2dTranspose')) {
    const x = tensorOf(c.x);
    const w = tensorOf(c.w);
    const want = tensorOf(c.y);
    const got = tf.tidy(() =>
      tf.add(deconvTorch(tf, t4(tf, x.data, x.shape), t4(tf, w.data, w.shape), c as unknown as { stride: number; pad: number; outputPadding: number }), tf.tensor1d(tensorOf(c.bias).data)),
    );
    assert.equal(got.shape, want.shape);
    const e = relErr(got.dataSync(), want.data, 1e-2);
    got.dispose();
    assert.ok(e < 1e-4, `deconv k${w.shape[0]} pad ${c.pad} outputPadding ${c.outputPadding}: rel err ${e}`);
  }
});

test('maxPoolTorch: PyTorch MaxPool2d contract cases (-inf padding)', async () => {
  const tf = await cpu();
  for (const c of loadCases('maxPool2d')) {
    const x = tensorOf(c.x);
    const want = tensorOf(c.y);
    const got = tf.tidy(() => maxPoolTorch(tf, t4(tf, x.data, x.shape), c.kernel as number, c.stride as number, c.pad as number));
    assert.equal(got.shape, want.shape);
    assert.equal(Array.from(got.dataSync()), Array.from(want.data));
    got.dispose();
  }
  // An all-negative map: zero padding would wrongly put 0 into the border windows.
  const y = tf.tidy(() => maxPoolTorch(tf, tf.tensor4d([-5, -4, -3, -2], [1, 2, 2, 1]), 3, 1, 1));
  assert.equal(Array.from(y.dataSync()), [-2, -2, -2, -2]);
  y.dispose();
});

test('upsampleNearest: each pixel repeated factor x factor times (factors 2 and 3)', async () => {
  const tf = await cpu();
  for (const f of [2, 3]) {
    const [h, w, c] = [3, 4, 2];
    const x = randomF32(h * w * c, 11 + f);
    const got = tf.tidy(() => upsampleNearest(tf, tf.tensor4d(x, [1, h, w, c]), f)).dataSync();
    const want = new Float32Array(h * f * w * f * c);
    for (let y = 0; y < h * f; y++) {
      for (let xx = 0; xx < w * f; xx++) {
        for (let k = 0; k < c; k++) want[(y * w * f + xx) * c + k] = x[(Math.floor(y / f) * w + Math.floor(xx / f)) * c + k];
      }
    }
    assert.equal(Array.from(got), Array.from(want));
  }
});

/**
 * For f linear in x: f(x + v) - f(x) = <grad f(x), v> exactly (up to float rounding), so the
 * gradients of padding, dilation, groups, depthwise and transposed conv can be checked without
 * step-size error. L = sum(op(x) * r) for a fixed random r.
 */
function linearGradientErrors(tf: TF, op: (x: Tensor4D, w: Tensor4D) => Tensor, xShape: number[], wShape: number[], seed: number): { x: number; w: number } {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const x = t4(tf, randomF32(size(xShape), seed), xShape);
  const w = t4(tf, randomF32(size(wShape), seed + 1), wShape);
  const vx = t4(tf, randomF32(size(xShape), seed + 2), xShape);
  const vw = t4(tf, randomF32(size(wShape), seed + 3), wShape);
  const r = tf.tidy(() => tf.randomUniform(op(x, w).shape, -1, 1, 'float32', seed + 4));
  const loss = (a: Tensor4D, b: Tensor4D) => tf.tidy(() => tf.sum(tf.mul(op(a, b), r)).dataSync()[0]);
  const grads = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.mul(op(a as Tensor4D, b as Tensor4D), r)));
  const [gx, gw] = grads([x, w]);
  const dot = (g: Tensor, v: Tensor) => tf.tidy(() => tf.sum(tf.mul(g, v)).dataSync()[0]);
  const base = loss(x, w);
  const dx = tf.tidy(() => loss(tf.add(x, vx), w) - base);
  const dw = tf.tidy(() => loss(x, tf.add(w, vw)) - base);
  const scale = Math.abs(base) + 1;
  const out = { x: Math.abs(dot(gx, vx) - dx) / scale, w: Math.abs(dot(gw, vw) - dw) / scale };
  tf.dispose([x, w, vx, vw, r, gx, gw]);
  return out;
}

function checkLayerGradients(tf: TF): void {
  const convs: Array<[string, ConvGeometry, number[], number[]]> = [
    ['pad 1 stride 2', { stride: 2, pad: 1, dilation: 1, groups: 1 }, [2, 7, 6, 3], [3, 3, 3, 4]],
    ['dilation 2 groups 2', { stride: 1, pad: 2, dilation: 2, groups: 2 }, [1, 7, 8, 4], [3, 3, 2, 6]],
    ['depthwise x2', { stride: 2, pad: 1, dilation: 1, groups: 4 }, [2, 8, 7, 4], [3, 3, 1, 8]],
  ];
  for (const [label, g, xs, ws] of convs) {
    const e = linearGradientErrors(tf, (x, w) => conv2dTorch(tf, x, w, g), xs, ws, 5);
    assert.ok(e.x < 1e-4 && e.w < 1e-4, `conv ${label} on ${tf.getBackend()}: gradient errors ${JSON.stringify(e)}`);
  }
  for (const g of [{ stride: 2, pad: 1, outputPadding: 0 }, { stride: 2, pad: 1, outputPadding: 1 }]) {
    const e = linearGradientErrors(tf, (x, w) => deconvTorch(tf, x, w, g), [2, 4, 5, 3], [3, 3, 2, 3], 9);
    assert.ok(e.x < 1e-4 && e.w < 1e-4, `deconv ${JSON.stringify(g)} on ${tf.getBackend()}: gradient errors ${JSON.stringify(e)}`);
  }
  // Nearest up-sampling: d/dx of sum(up(x) * r) is the sum of r over each 2 x 2 block. Batch 2,
  // r = 0..31: image 0 blocks (0+1+4+5) = 10, 18, 42, 50; image 1 the same + 4 * 16: 74, 82, 106, 114.
  // (tfjs-backend-cpu's ResizeNearestNeighborGrad gives 26, 34, 58, 66 for image 1.)
  const r = tf.tensor4d(Array.from({ length: 32 }, (_, i) => i), [2, 4, 4, 1]);
  const g = tf.grad((t: Tensor) => tf.sum(tf.mul(upsampleNearest(tf, t as Tensor4D, 2), r)))(tf.zeros([2, 2, 2, 1]));
  assert.equal(Array.from(g.dataSync()), [10, 18, 42, 50, 74, 82, 106, 114], `up-sampling gradient on ${tf.getBackend()}`);
  tf.dispose([r, g]);
}

test('gradients of conv (padding, stride, dilation, groups, depthwise), transposed conv and up-sampling are exact on cpu', async () => {
  checkLayerGradients(await cpu());
});

test('the same gradients on the wasm backend, whose missing backprop kernels come from registerWasmTrainingKernels', async () => {
  await withBackend('wasm', (tf) => {
    assert.is(tf.getBackend(), 'wasm');
    checkLayerGradients(tf);
  });
});

/** conv(3->8, s2) bn relu -> depthwise conv bn relu -> deconv(8->4) bn relu -> batchnorm -> conv 1x1 (bias). */
function chainGraph(): Graph {
  const b = new GraphBuilder(3);
  let x = b.conv('c1', INPUT, { cout: 8, kernel: 3, stride: 2 });
  x = b.conv('dw', x, { cout: 8, kernel: 3, groups: 8 });
  x = b.deconv('up', x, { cout: 4, kernel: 4, stride: 2, pad: 1 });
  x = b.batchnorm('bn', x, 'relu');
  const hm = b.conv('hm', x, { cout: 2, kernel: 1, bn: false, act: 'none' });
  return { inputChannels: 3, stride: 1, sizeMultiple: 2, nodes: b.nodes, heads: { hm: [hm] } };
}

/** Random values for every parameter; variances positive. */
function randomWeights(graph: Graph, tf: TF, seed: number) {
  const params = initParams(tf, graph, seed);
  const weights = new Map<string, Float32Array>();
  params.specs.forEach((s, i) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const lo = s.name.endsWith('running_var') ? 0.2 : s.name.endsWith('.weight') && s.shape.length === 1 ? 0.5 : -1;
    weights.set(s.name, randomF32(n, seed * 100 + i, lo, lo + 1.5));
  });
  loadParams(tf, params, weights);
  return { params, weights };
}

function bnRef(x: Float32Array, c: number, w: Map<string, Float32Array>, prefix: string, relu: boolean): Float32Array {
  const [g, b, m, v] = ['weight', 'bias', 'running_mean', 'running_var'].map((k) => w.get(prefix + k)!);
  return x.map((val, i) => {
    const k = i % c;
    const y = ((val - m[k]) / Math.sqrt(v[k] + BN_EPS)) * g[k] + b[k];
    return relu ? Math.max(0, y) : y;
  });
}

test('runGraph inference: conv-bn-relu chain (depthwise, deconv, stand-alone bn) equals the unfolded plain reference', async () => {
  const tf = await cpu();
  const graph = chainGraph();
  const { params, weights: W } = randomWeights(graph, tf, 3);
  const xShape = [2, 8, 6, 3];
  const x = randomF32(2 * 8 * 6 * 3, 4);
  let r = convRef(x, xShape, W.get('c1.weight')!, [3, 3, 3, 8], { stride: 2, pad: 1, dilation: 1, groups: 1 });
  r.data = bnRef(r.data, 8, W, 'c1.bn.', true);
  r = convRef(r.data, r.shape, W.get('dw.weight')!, [3, 3, 1, 8], { stride: 1, pad: 1, dilation: 1, groups: 8 });
  r.data = bnRef(r.data, 8, W, 'dw.bn.', true);
  r = deconvRef(r.data, r.shape, W.get('up.weight')!, [4, 4, 4, 8], { stride: 2, pad: 1, outputPadding: 0 });
  r.data = bnRef(bnRef(r.data, 4, W, 'up.bn.', true), 4, W, 'bn.', true);
  r = convRef(r.data, r.shape, W.get('hm.weight')!, [1, 1, 4, 2], { stride: 1, pad: 0, dilation: 1, groups: 1, bias: W.get('hm.bias')! });

  const input = t4(tf, x, xShape);
  const out = runGraph(tf, graph, params.values, input, { training: false });
  const hm = out.get('hm')![0];
  assert.equal(hm.shape, r.shape);
  const e = relErr(hm.dataSync(), r.data, 1e-2);
  assert.ok(e < 1e-4, `rel err ${e}`);
  tf.dispose([input, hm]);
  // Inference leaves the running statistics alone.
  assert.equal((await exportParams(params)).get('c1.bn.running_mean'), W.get('c1.bn.running_mean'));
  tf.dispose([...params.values.values()]);
});

test('runGraph training: batch norm uses batch moments and updates running stats as PyTorch (momentum 0.1, unbiased var)', async () => {
  const tf = await cpu();
  const b = new GraphBuilder(3);
  const y = b.batchnorm('bn', INPUT);
  const graph: Graph = { inputChannels: 3, stride: 1, sizeMultiple: 1, nodes: b.nodes, heads: { out: [y] } };
  const params = initParams(tf, graph, 1);
  const rm0 = Float32Array.from([0.5, -1, 2]);
  const rv0 = Float32Array.from([1, 2, 0.5]);
  loadParams(tf, params, new Map([['bn.weight', new Float32Array([1, 1, 1])], ['bn.bias', new Float32Array(3)], ['bn.running_mean', rm0], ['bn.running_var', rv0]]));
  const n = 2 * 3 * 4;
  const x = randomF32(n * 3, 21, -2, 3);
  const input = tf.tensor4d(x, [2, 3, 4, 3]);
  const out = runGraph(tf, graph, params.values, input, { training: true }).get('out')![0].dataSync();
  const W = await exportParams(params);
  for (let c = 0; c < 3; c++) {
    const xs = Array.from({ length: n }, (_, i) => x[i * 3 + c]);
    const mean = xs.reduce((a, v) => a + v, 0) / n;
    const sq = xs.reduce((a, v) => a + (v - mean) ** 2, 0);
    // Normalised with the biased variance sq / n ...
    for (let i = 0; i < n; i++) assert.ok(Math.abs(out[i * 3 + c] - (xs[i] - mean) / Math.sqrt(sq / n + BN_EPS)) < 1e-5);
    // ... running_var moves towards the unbiased one, sq / (n - 1).
    assert.ok(Math.abs(W.get('bn.running_mean')![c] - (0.9 * rm0[c] + 0.1 * mean)) < 1e-6);
    assert.ok(Math.abs(W.get('bn.running_var')![c] - (0.9 * rv0[c] + 0.1 * (sq / (n - 1)))) < 1e-6);
  }
  // updateStats: false leaves them as they are.
  runGraph(tf, graph, params.values, input, { training: true, updateStats: false });
  assert.equal((await exportParams(params)).get('bn.running_var'), W.get('bn.running_var'));
  tf.dispose([input, ...params.values.values()]);
});

test('runGraph: clear errors for a wrong input, a missing or mis-shaped parameter; stacks "last" runs the last stack only', async () => {
  const tf = await cpu();
  const b = new GraphBuilder(3);
  const s0 = b.conv('s0', INPUT, { cout: 2, kernel: 1, bn: false, act: 'none' });
  const s1 = b.conv('s1', s0, { cout: 2, kernel: 1, bn: false, act: 'none' });
  const graph: Graph = { inputChannels: 3, stride: 1, sizeMultiple: 1, nodes: b.nodes, heads: { hm: [s0, s1] } };
  const params = initParams(tf, graph, 1);
  const x = tf.ones([1, 4, 4, 3]) as Tensor4D;
  assert.throws(() => runGraph(tf, graph, params.values, tf.ones([1, 4, 4, 2]) as Tensor4D, { training: false }), /input must be \[n, h, w, 3\], got \[1,4,4,2\]/);
  const missing = new Map(params.values);
  missing.delete('s1.bias');
  assert.throws(() => runGraph(tf, graph, missing, x, { training: false }), /parameter s1\.bias is missing/);
  const wrong = new Map<string, Tensor>(params.values);
  wrong.set('s0.weight', tf.zeros([1, 1, 3, 3]));
  assert.throws(() => runGraph(tf, graph, wrong, x, { training: false }), /s0\.weight has shape \[1,1,3,3\], the graph needs \[1,1,3,2\]/);
  assert.is(runGraph(tf, graph, params.values, x, { training: false }).get('hm')!.length, 2);
  const last = runGraph(tf, graph, params.values, x, { training: false, stacks: 'last' }).get('hm')!;
  assert.is(last.length, 1);
  assert.equal(last[0].shape, [1, 4, 4, 2]);
});

test('initParams: seeded He (fan_in) init, bilinear deconv, official head init and heatmap prior, running stats not trainable; export/load round trip and errors', async () => {
  const tf = await cpu();
  const b = new GraphBuilder(3);
  let x = b.conv('body', INPUT, { cout: 64, kernel: 3 });
  x = b.deconv('up', x, { cout: 2, kernel: 4, stride: 2, pad: 1 });
  const feat = b.conv('feat', x, { cout: 64, kernel: 1, bn: false });
  const hm = b.conv('hm', feat, { cout: 32, kernel: 1, bn: false, act: 'none' });
  const wh = b.conv('wh', feat, { cout: 32, kernel: 1, bn: false, act: 'none' });
  const graph: Graph = { inputChannels: 3, stride: 1, sizeMultiple: 2, nodes: b.nodes, heads: { hm: [hm], wh: [wh] } };
  const p1 = initParams(tf, graph, 7);
  const w1 = await exportParams(p1);
  assert.equal([...w1.keys()], p1.specs.map((s) => s.name));
  assert.equal((await exportParams(initParams(tf, graph, 7))).get('body.weight'), w1.get('body.weight'), 'same seed, same weights');
  assert.not.equal((await exportParams(initParams(tf, graph, 8))).get('body.weight'), w1.get('body.weight'));

  const moments = (v: Float32Array) => {
    const mean = v.reduce((a, x) => a + x, 0) / v.length;
    return { mean, std: Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length) };
  };
  const body = moments(w1.get('body.weight')!); // 3 * 3 * 3 * 64 values, fan_in 27
  assert.ok(Math.abs(body.std / Math.sqrt(2 / 27) - 1) < 0.05, `std ${body.std}`);
  assert.ok(Math.abs(body.mean) < 0.02);
  // heads' last convs (2048 values each, fan_in 64): heatmap as PyTorch's default conv init,
  // std 1 / sqrt(3 * 64); the others std 0.001 (official fill_fc_weights); biases 0 but the prior
  const hmW = moments(w1.get('hm.weight')!);
  assert.ok(Math.abs(hmW.std / (1 / Math.sqrt(192)) - 1) < 0.05, `hm std ${hmW.std}`);
  const whW = moments(w1.get('wh.weight')!);
  assert.ok(Math.abs(whW.std / 0.001 - 1) < 0.05, `wh std ${whW.std}`);
  assert.equal(Array.from(w1.get('wh.bias')!), new Array(32).fill(0));
  const featW = moments(w1.get('feat.weight')!);
  assert.ok(Math.abs(featW.std / Math.sqrt(2 / 2) - 1) < 0.1, 'a head\'s inner conv keeps He init');

  // fill_up_weights for k = 4: f = 2, c = 0.75, 1 - |i / 2 - 0.75| = [0.25, 0.75, 0.75, 0.25]; output o reads input o.
  const up = w1.get('up.weight')!; // [4, 4, cout 2, cin 64]
  const k1 = [0.25, 0.75, 0.75, 0.25];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      for (let o = 0; o < 2; o++) {
        for (let c = 0; c < 64; c++) assert.is(up[((i * 4 + j) * 2 + o) * 64 + c], c === o ? k1[i] * k1[j] : 0);
      }
    }
  }
  assert.ok(Math.abs(w1.get('hm.bias')![0] - HEATMAP_PRIOR_BIAS) < 1e-6);
  assert.ok(Math.abs(1 / (1 + Math.exp(-HEATMAP_PRIOR_BIAS)) - 0.1) < 1e-9);
  assert.equal(Array.from(w1.get('body.bn.running_var')!), new Array(64).fill(1));
  assert.is(p1.values.get('body.bn.running_mean')!.trainable, false);
  assert.is(p1.values.get('body.bn.weight')!.trainable, true);
  assert.is(p1.trainable.length, p1.specs.length - 4);

  const p2 = initParams(tf, graph, 99);
  loadParams(tf, p2, w1);
  for (const [k, v] of await exportParams(p2)) assert.equal(v, w1.get(k), k);
  const without = new Map(w1);
  without.delete('hm.bias');
  assert.throws(() => loadParams(tf, p2, without, 'm.safetensors'), /m\.safetensors: parameter hm\.bias is missing/);
  assert.throws(() => loadParams(tf, p2, new Map([...w1, ['extra.weight', new Float32Array(1)]])), /unexpected parameter extra\.weight/);
  assert.throws(() => loadParams(tf, p2, new Map([...w1, ['hm.bias', new Float32Array(2)]])), /hm\.bias must be a Float32Array of 32 values \(shape \[32\]\), got 2/);
});

test.run();
