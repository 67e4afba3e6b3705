// The trainer's DCNv2 from TensorFlow.js ops (trainer/layers/deform-conv.ts) and the `dcn` node of
// the graph IR: equal to torchvision's deform_conv2d (the PyTorch contract cases) and to the
// runtime's ops.deformConv2d on random inputs; gradients of x and w exact for these linear
// arguments; the offsets' gradient against central differences; and through a whole dcn node
// (offset conv, sigmoid mask, batch norm) every gradient exists and is finite, as training needs.
// The fused sampling kernels of the cpu and wasm backends (trainer/layers/deform-conv-kernels.ts,
// which the layer runs there; the cases above go through them on cpu) against the layer's op-by-op
// form: output and the four gradients, the same bits from run to run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { DCN_OFFSET_MASK, GraphBuilder, INPUT, paramSpecs, type Graph } from '../runtime/model/graph.js';
import { deformConv2d } from '../runtime/ops/deform-conv.js';
import { selectBackend, type TF } from '../trainer/backend.js';
import { deformConv2dTorch } from '../trainer/layers/deform-conv.js';
import { runGraph } from '../trainer/model/tf-graph.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateConfig } from '../runtime/model/config.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { createLoader, type Batch } from '../trainer/data/loader.js';
import { loadDataset } from '../trainer/data/load.js';
import { synthDataset } from '../trainer/data/synth.js';
import { disposeParams, initParams, trainableNames } from '../trainer/model/params.js';
import { shardGradients } from '../trainer/step.js';
import { loadCases, tensorOf } from './helpers/decode-fixtures.js';
import { loadKernels } from './helpers/kernels.js';
import { randomF32 } from './helpers/random.js';
import { relErr, withBackend } from './helpers/trainer.js';
import { DEFORM_CASES, relativeError, runDeformCase, type DeformResult } from './helpers/deform-cases.js';
import { DEFORM_COLUMNS, DEFORM_COLUMNS_GRAD_OFFSET_MASK, DEFORM_COLUMNS_GRAD_X } from '../trainer/layers/deform-conv.js';

const cpu = async (): Promise<TF> => (await selectBackend('cpu', { log: () => {} })).tf;
const t4 = (tf: TF, data: Float32Array, shape: number[]) => tf.tensor4d(data, shape as [number, number, number, number]);
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

test('deformConv2dTorch: torchvision deform_conv2d contract cases (stride 2, dilation 2, 1x1, batch 2, pad 0)', async () => {
  const tf = await cpu();
  const cases = loadCases('deformConv2d');
  assert.ok(cases.some((c) => c.dilation === 2) && cases.some((c) => c.stride === 2) && cases.some((c) => tensorOf(c.x).shape[0] === 2));
  for (const c of cases) {
    const [x, offset, mask, w, bias, want] = [c.x, c.offset, c.mask, c.w, c.bias, c.y].map(tensorOf);
    const got = tf.tidy(() => {
      const y = deformConv2dTorch(tf, t4(tf, x.data, x.shape), t4(tf, offset.data, offset.shape), t4(tf, mask.data, mask.shape), t4(tf, w.data, w.shape), c as unknown as { stride: number; pad: number; dilation: number });
      return tf.add(y, tf.tensor1d(bias.data));
    });
    assert.equal(got.shape, want.shape);
    const e = relErr(got.dataSync(), want.data, 1e-2);
    got.dispose();
    assert.ok(e < 1e-4, `deform conv w [${w.shape}] stride ${c.stride} pad ${c.pad} dilation ${c.dilation}: rel err ${e}`);
  }
});

test('deformConv2dTorch equals the runtime ops.deformConv2d on random inputs (offsets up to 4 px, samples outside the image)', async () => {
  await loadKernels();
  const tf = await cpu();
  let seed = 1;
  for (const [n, h, w, cin, cout, k, stride, pad, dilation] of [[1, 9, 7, 6, 5, 3, 1, 1, 1], [2, 8, 10, 4, 9, 3, 2, 1, 1], [1, 7, 7, 3, 4, 3, 1, 2, 2], [1, 6, 5, 17, 3, 1, 1, 0, 1]]) {
    const oh = Math.floor((h + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
    const ow = Math.floor((w + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
    const taps = k * k;
    const x = { data: randomF32(n * h * w * cin, seed++), shape: [n, h, w, cin] };
    const offset = { data: randomF32(n * oh * ow * 2 * taps, seed++, -4, 4), shape: [n, oh, ow, 2 * taps] };
    const mask = { data: randomF32(n * oh * ow * taps, seed++, 0, 1), shape: [n, oh, ow, taps] };
    const wt = { data: randomF32(taps * cin * cout, seed++), shape: [k, k, cin, cout] };
    const want = deformConv2d(x, offset, mask, wt, { stride, pad, dilation });
    const got = tf.tidy(() => deformConv2dTorch(tf, t4(tf, x.data, x.shape), t4(tf, offset.data, offset.shape), t4(tf, mask.data, mask.shape), t4(tf, wt.data, wt.shape), { stride, pad, dilation }));
    assert.equal(got.shape, want.shape);
    const e = relErr(got.dataSync(), want.data, 1e-2);
    got.dispose();
    assert.ok(e < 1e-4, `x [${x.shape}] w [${wt.shape}] stride ${stride} pad ${pad} dilation ${dilation}: rel err ${e}`);
  }
});

test('deformConv2dTorch gradients: x and w exact (linear), offsets and mask against central differences', async () => {
  const tf = await cpu();
  const [n, h, w, cin, cout, k] = [1, 6, 7, 3, 4, 3];
  const taps = k * k;
  const g = { stride: 1, pad: 1, dilation: 1 };
  const x = t4(tf, randomF32(n * h * w * cin, 21), [n, h, w, cin]);
  const wt = t4(tf, randomF32(taps * cin * cout, 22), [k, k, cin, cout]);
  // offsets away from integer positions (the bilinear weights are linear in the offset between them)
  // (fractional parts in [0.25, 0.75], so the +-0.01 steps below never cross one)
  const offsetData = randomF32(n * h * w * 2 * taps, 23, -2, 2).map((v) => Math.round(v) + 0.25 + 0.5 * (v - Math.round(v) + 0.5));
  const offset = t4(tf, offsetData, [n, h, w, 2 * taps]);
  const mask = t4(tf, randomF32(n * h * w * taps, 24, 0, 1), [n, h, w, taps]);
  const r = t4(tf, randomF32(n * h * w * cout, 25), [n, h, w, cout]);
  const loss = (a: Tensor, b: Tensor, o: Tensor, m: Tensor) => tf.sum(tf.mul(deformConv2dTorch(tf, a as Tensor4D, o as Tensor4D, m as Tensor4D, b as Tensor4D, g), r));
  const value = (a: Tensor, b: Tensor, o: Tensor, m: Tensor) => tf.tidy(() => loss(a, b, o, m).dataSync()[0]);
  const grads = tf.grads(loss)([x, wt, offset, mask]);
  const dot = (gr: Tensor, v: Tensor) => tf.tidy(() => tf.sum(tf.mul(gr, v)).dataSync()[0]);
  const base = value(x, wt, offset, mask);
  const scale = Math.abs(base) + 1;
  const dir = (t: Tensor, seed: number) => tf.randomUniform(t.shape, -1, 1, 'float32', seed);
  const [vx, vw] = [dir(x, 31), dir(wt, 32)];
  assert.ok(Math.abs(dot(grads[0], vx) - tf.tidy(() => value(tf.add(x, vx), wt, offset, mask) - base)) / scale < 1e-4, 'x gradient');
  assert.ok(Math.abs(dot(grads[1], vw) - tf.tidy(() => value(x, tf.add(wt, vw), offset, mask) - base)) / scale < 1e-4, 'w gradient');
  for (const [i, t, seed] of [[2, offset, 33], [3, mask, 34]] as const) {
    const v = tf.mul(dir(t, seed), 1e-2);
    const central = tf.tidy(() => (value(x, wt, i === 2 ? tf.add(t, v) : offset, i === 3 ? tf.add(t, v) : mask) - value(x, wt, i === 2 ? tf.sub(t, v) : offset, i === 3 ? tf.sub(t, v) : mask)) / 2);
    const analytic = dot(grads[i], v);
    assert.ok(Math.abs(analytic - central) <= 1e-3 * (Math.abs(central) + 1e-2), `${i === 2 ? 'offset' : 'mask'} gradient ${analytic} vs central difference ${central}`);
    v.dispose();
  }
  tf.dispose([x, wt, offset, mask, r, vx, vw, ...grads]);
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`the ${backend} backend's fused DCNv2 kernels equal the op-by-op layer on cpu (${DEFORM_CASES.length} geometries: output and the gradients of x, w, offsets, mask within 1e-5; the same bits run to run)`, async () => {
    const cpuTf = await cpu();
    const wants: DeformResult[] = [];
    for (const [i, c] of DEFORM_CASES.entries()) wants.push(await runDeformCase(cpuTf, c, 10 * i + 1, true));
    await withBackend(backend, async (tf) => {
      for (const [i, c] of DEFORM_CASES.entries()) {
        const got = await runDeformCase(tf, c, 10 * i + 1, false);
        const again = await runDeformCase(tf, c, 10 * i + 1, false);
        for (const name of [DEFORM_COLUMNS, DEFORM_COLUMNS_GRAD_X, DEFORM_COLUMNS_GRAD_OFFSET_MASK]) assert.ok(got.kernels.includes(name), `case ${i}: ${name} ran`);
        assert.not.ok(got.kernels.includes('GatherV2') || got.kernels.includes('ScatterNd'), `case ${i}: the op-by-op form did not run`);
        const outs = [got.y, ...got.grads];
        const want = [wants[i].y, ...wants[i].grads];
        ['output', 'x', 'w', 'offset', 'mask'].forEach((name, k) => {
          const e = relativeError(outs[k], want[k]);
          assert.ok(e <= 1e-5, `case ${i}, ${name}: ${e}`);
        });
        assert.ok([again.y, ...again.grads].every((g, k) => g.every((v, j) => Object.is(v, outs[k][j]))), `case ${i}: the same bits from run to run`);
      }
    });
  });
}

test('the cpu backend\'s fused x gradient: an infinite column gradient where the mask is 0 gives NaN (inf x 0), as the op-by-op form', async () => {
  const tf = await cpu();
  const attrs = { kernelH: 1, kernelW: 1, stride: 1, pad: 0, dilation: 1 };
  const x = tf.ones([1, 2, 2, 1]);
  const offset = tf.zeros([1, 2, 2, 2]);
  const mask = tf.tensor4d([0, 1, 1, 1], [1, 2, 2, 1]);
  const dxOf = (first: number) => tf.tidy(() => Array.from((tf.engine().runKernel(DEFORM_COLUMNS_GRAD_X, { dcols: tf.tensor2d([first, 1, 1, 1], [4, 1]), x, offset, mask }, attrs) as Tensor).dataSync()));
  // each point samples its own pixel (weight 1; its other neighbours weight 0): dx = dcols * mask
  assert.equal(dxOf(5), [0, 1, 1, 1]);
  const v = dxOf(Infinity);
  assert.ok(Number.isNaN(v[0]), `dx ${v}`);
  tf.dispose([x, offset, mask]);
});

function dcnGraph(): Graph {
  const b = new GraphBuilder(3);
  const y = b.dcn('dcn', INPUT, { cout: 5, kernel: 3, bias: true });
  return { inputChannels: 3, stride: 1, sizeMultiple: 1, nodes: b.nodes, heads: { out: [y] } };
}

test('a dcn node trains: gradients of x, the weight, the bias, the offset conv and batch norm exist and are finite', async () => {
  const tf = await cpu();
  const graph = dcnGraph();
  assert.equal(paramSpecs(graph).map((s) => `${s.name} [${s.shape}] ${s.init}`), [
    'dcn.weight [3,3,3,5] he',
    'dcn.bias [5] zeros',
    `dcn.${DCN_OFFSET_MASK}.weight [3,3,3,27] zeros`,
    `dcn.${DCN_OFFSET_MASK}.bias [27] zeros`,
    'dcn.bn.weight [5] ones',
    'dcn.bn.bias [5] zeros',
    'dcn.bn.running_mean [5] zeros',
    'dcn.bn.running_var [5] ones',
  ]);
  const params = initParams(tf, graph, 5);
  // non-zero offsets, as after some training (zero-initialised, their gradient is what moves them)
  params.values.get(`dcn.${DCN_OFFSET_MASK}.weight`)!.assign(tf.randomUniform([3, 3, 3, 27], -0.5, 0.5, 'float32', 6));
  const x = t4(tf, randomF32(2 * 8 * 9 * 3, 7), [2, 8, 9, 3]);
  const r = tf.randomUniform([2, 8, 9, 5], -1, 1, 'float32', 8);
  const names = ['dcn.weight', 'dcn.bias', `dcn.${DCN_OFFSET_MASK}.weight`, `dcn.${DCN_OFFSET_MASK}.bias`, 'dcn.bn.weight', 'dcn.bn.bias'];
  const { value, grads } = tf.variableGrads(() => {
    const out = runGraph(tf, graph, params.values, x, { training: true, updateStats: false }).get('out')![0];
    return tf.sum(tf.mul(tf.square(out), r));
  }, names.map((n) => params.values.get(n)!));
  assert.ok(Number.isFinite(value.dataSync()[0]));
  for (const name of names) {
    const gr = grads[params.values.get(name)!.name];
    assert.ok(gr, `gradient of ${name}`);
    const data = gr.dataSync();
    assert.ok(data.every(Number.isFinite), `${name}: finite gradient`);
    // the bias is cancelled by the training-mode batch norm that follows: its gradient is 0
    if (name !== 'dcn.bias') assert.ok(data.some((v) => v !== 0), `${name}: a non-zero gradient`);
  }
  const gx = tf.grad((a: Tensor) => tf.sum(tf.mul(runGraph(tf, graph, params.values, a as Tensor4D, { training: true, updateStats: false }).get('out')![0], r)))(x);
  assert.ok(gx.dataSync().every(Number.isFinite) && gx.dataSync().some((v) => v !== 0), 'x gradient finite and non-zero');
  tf.dispose([x, r, value, gx, ...Object.values(grads)]);
});

function depthwiseDeconvGradients(tf: TF): void {
  const b = new GraphBuilder(4);
  const y = b.deconv('up', INPUT, { cout: 4, kernel: 4, stride: 2, pad: 1, groups: 4, bn: false, bias: false, act: 'none' });
  const graph: Graph = { inputChannels: 4, stride: 1, sizeMultiple: 1, nodes: b.nodes, heads: { out: [y] } };
  assert.equal(paramSpecs(graph).map((s) => `${s.name} [${s.shape}]`), ['up.weight [4,4,1,4]']);
  const params = initParams(tf, graph, 3);
  const x = t4(tf, randomF32(size([1, 3, 5, 4]), 9), [1, 3, 5, 4]);
  const r = tf.randomUniform([1, 6, 10, 4], -1, 1, 'float32', 10);
  const [gx, gw] = tf.grads((a: Tensor, wv: Tensor) => {
    const p = new Map(params.values as Map<string, Tensor>);
    p.set('up.weight', wv);
    return tf.sum(tf.mul(runGraph(tf, graph, p, a as Tensor4D, { training: true }).get('out')![0], r));
  })([x, params.values.get('up.weight')!]);
  for (const gr of [gx, gw]) assert.ok(gr.dataSync().every(Number.isFinite) && gr.dataSync().some((v) => v !== 0), `finite, non-zero gradients on ${tf.getBackend()}`);
  tf.dispose([x, r, gx, gw]);
  disposeParams(params);
}

test('a grouped (depthwise) deconv node trains on cpu and wasm: gradients of x and its weight are finite', async () => {
  depthwiseDeconvGradients(await cpu());
  await withBackend('wasm', depthwiseDeconvGradients);
});

test('a narrow centernet-resdcn18 takes a training step on the wasm backend: finite loss, every gradient finite, the offsets\' non-zero', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-resdcn-'));
  try {
    await synthDataset({ out: path.join(dir, 'synth'), train: 2, val: 0, size: 64, seed: 3 });
    const ds = await loadDataset(path.join(dir, 'synth', 'train'));
    const base = preset('centernet-resdcn18', { labels: ds.labels, inputSize: [64, 64] });
    // the official architecture at an eighth of its widths (as the reduced official checkpoint)
    const config = validateConfig({
      ...base,
      backbone: { ...base.backbone, channels: [8, 16, 32, 64], stemChannels: 8 },
      neck: { type: 'dcn-deconv', channels: [32, 16, 8] },
      head: { ...base.head, headChannels: 8 },
    }, 'narrow resdcn18');
    const graph = buildGraph(config);
    const outputSize: [number, number] = [16, 16];
    const loader = await createLoader(ds, { batchSize: 2, inputSize: [64, 64], outputSize, mean: config.mean, std: config.std, augment: false, workers: 0, targets: { kind: 'centernet', numClasses: config.numClasses } });
    const it = loader.epoch(0);
    const batch = (await it.next()).value as Batch;
    await it.return(undefined);
    await loader.close();
    await withBackend('wasm', async (tf) => {
      const params = initParams(tf, graph, 11);
      const { grads, parts } = await shardGradients(tf, graph, params, batch, config, outputSize);
      assert.ok(Number.isFinite(parts.total) && parts.total > 0, `loss ${parts.total}`);
      const names = trainableNames(params);
      assert.is(Object.keys(grads).length, names.length);
      names.forEach((name, i) => {
        const g = grads[params.trainable[i].name].dataSync();
        assert.ok(g.every(Number.isFinite), `${name}: finite gradient`);
        if (name.endsWith(`${DCN_OFFSET_MASK}.weight`)) assert.ok(g.some((v) => v !== 0), `${name}: a non-zero gradient`);
      });
      tf.dispose(Object.values(grads));
      disposeParams(params);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
