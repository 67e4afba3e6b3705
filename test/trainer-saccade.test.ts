// CornerNet-Saccade training: its targets (attention maps, valid masks, CornerNet-Lite's Gaussian
// radius) and its loss against the official code run in PyTorch (test/fixtures/contract/saccade.json,
// scripts/make-saccade-fixtures.py), the rules on hand-placed boxes, the spec the trainer builds
// from the graph, and a narrowed model whose attention maps learn.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { ObjectDetector } from '../runtime/detector.js';
import { preset } from '../runtime/model/presets.js';
import { readModelFile } from '../runtime/weights/model-file.js';
import { buildGraph } from '../runtime/model/registry.js';
import { inferShapes } from '../runtime/model/graph.js';
import { CORNERNET_HEADS } from '../runtime/model/names.js';
import { selectBackend, type TF } from '../trainer/backend.js';
import { transformBoxes } from '../trainer/data/augment.js';
import { createLoader, type Batch } from '../trainer/data/loader.js';
import { loadDataset } from '../trainer/data/load.js';
import { resolveTargetSpec } from '../trainer/data/target-spec.js';
import { synthDataset } from '../trainer/data/synth.js';
import { cornerNetLoss, type CornerNetTargetTensors } from '../trainer/losses/cornernet-loss.js';
import { initParams, trainableNames } from '../trainer/model/params.js';
import { applyAdam, createAdam } from '../trainer/optimizer.js';
import { chooseRecipe, trainDefaults } from '../trainer/recipes.js';
import { shardGradients } from '../trainer/step.js';
import { train } from '../trainer/train.js';
import { gaussianRadiusLite } from '../trainer/targets/gaussian.js';
import { modelTargetSpec } from '../trainer/targets/model-spec.js';
import { saccadeTargets, type SaccadeTargets } from '../trainer/targets/saccade-targets.js';
import { loadCases, tensorOf } from './helpers/decode-fixtures.js';
import { loadKernels } from './helpers/kernels.js';
import { narrowConfig } from './helpers/narrow.js';

const fixture = loadCases('saccade') as unknown as {
  numClasses: number;
  targets: FixtureImage[];
  loss: { inputSize: [number, number]; outputSize: [number, number]; attentionSizes: [number, number][]; attentionStrides: number[]; images: FixtureImage[]; logits: Record<string, unknown[]>; grads: Record<string, unknown[]>; parts: Record<string, number>; total: number };
};
interface FixtureImage {
  boxes: [number, number, number, number][];
  classIds: number[];
  visible: number[];
  tlHeatmap: [number, number][];
  brHeatmap: [number, number][];
  tlValidZeros: number[];
  brValidZeros: number[];
  attentionOnes: number[][];
  tlIndex: number[];
  brIndex: number[];
  tlOffset: [number, number][];
  brOffset: [number, number][];
}

const C = fixture.numClasses;
const OFFICIAL_255 = { inputSize: [255, 255] as [number, number], outputSize: [64, 64] as [number, number], numClasses: C, attention: { sizes: [[16, 16], [32, 32], [64, 64]] as [number, number][], strides: [16, 8, 4] } };
const cpu = async (): Promise<TF> => (await selectBackend('cpu', { log: () => {} })).tf;

function targetsOf(image: FixtureImage, geometry: Omit<Parameters<typeof saccadeTargets>[1], 'maxObjs'>): SaccadeTargets {
  // the official boxes are float32, as the loader's are
  const boxes = image.boxes.map((b) => b.map(Math.fround) as [number, number, number, number]);
  return saccadeTargets({ boxes, classIds: image.classIds, visible: image.visible }, geometry);
}

/** Our targets of one fixture image equal the official sampler's. */
function assertTargetsEqual(ours: SaccadeTargets, want: FixtureImage, label: string) {
  const dense = (n: number, entries: [number, number][]) => {
    const out = new Float32Array(n);
    for (const [i, v] of entries) out[i] = v;
    return out;
  };
  const n = ours.tlHeatmap.length;
  for (const [name, got, expected] of [['tl heatmap', ours.tlHeatmap, want.tlHeatmap], ['br heatmap', ours.brHeatmap, want.brHeatmap]] as const) {
    const w = dense(n, expected as [number, number][]);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(got[i] - w[i]) <= 1e-7, `${label} ${name}[${i}]: ${got[i]} vs official ${w[i]}`);
  }
  const zeros = (a: Float32Array) => [...a.keys()].filter((i) => a[i] === 0);
  assert.equal(zeros(ours.tlValid), want.tlValidZeros, `${label}: tl valid mask`);
  assert.equal(zeros(ours.brValid), want.brValidZeros, `${label}: br valid mask`);
  ours.attention.forEach((map, l) => assert.equal([...map.keys()].filter((i) => map[i] === 1), want.attentionOnes[l], `${label}: attention map ${l}`));
  assert.equal(ours.count, want.tlIndex.length, `${label}: learnt objects`);
  assert.equal(Array.from(ours.tlIndex.subarray(0, ours.count)), want.tlIndex, `${label}: tl indices`);
  assert.equal(Array.from(ours.brIndex.subarray(0, ours.count)), want.brIndex, `${label}: br indices`);
  for (const [name, got, expected] of [['tl', ours.tlOffset, want.tlOffset], ['br', ours.brOffset, want.brOffset]] as const) {
    (expected as [number, number][]).flat().forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-6, `${label} ${name} offset ${i}: ${got[i]} vs official ${v}`));
  }
}

test('gaussianRadiusLite: CornerNet-Lite\'s corrected roots, the minimum of the three', () => {
  // h = w = 20, m = 0.3: r1 = (40 - sqrt(1600 - 4 * 280 / 1.3)) / 2 = (40 - 27.1748) / 2 = 6.41268;
  // r2 = (80 - sqrt(6400 - 16 * 280)) / 8 = (80 - 43.8178) / 8 = 4.52277;
  // r3 = (-24 + sqrt(576 + 4 * 1.2 * 280)) / 2.4 = 19.8178 / 2.4 = 8.25742 -> 4.52277
  assert.ok(Math.abs(gaussianRadiusLite(20, 20, 0.3) - 4.52277) < 1e-5);
  // 40 x 10, m = 0.5: r1 = 2.82644, r2 = 2.19224, r3 = 3.50781 -> 2.19224
  assert.ok(Math.abs(gaussianRadiusLite(40, 10, 0.5) - 2.19224) < 1e-5);
});

test('saccadeTargets: the official sampler\'s targets at 255 x 255 (PyTorch fixture: 6 images, 65 boxes)', () => {
  let learnt = 0;
  let ignored = 0;
  fixture.targets.forEach((image, k) => {
    const ours = targetsOf(image, OFFICIAL_255);
    assertTargetsEqual(ours, image, `image ${k}`);
    learnt += ours.count;
    ignored += ours.ignored;
  });
  // the cases exercise both branches and every attention level
  assert.ok(learnt >= 20 && ignored >= 20, `learnt ${learnt}, ignored ${ignored}`);
  for (let l = 0; l < 3; l++) assert.ok(fixture.targets.some((im) => im.attentionOnes[l].length > 0), `no case marks attention level ${l}`);
});

test('saccadeTargets: size ranges inclusive at both ends, the min scale in whole pixels, visible > 0.5, crowd skipped', () => {
  const objects = {
    boxes: [
      [10, 10, 106, 50], // longer side exactly 96: levels 0 and 1 (both ranges end at 96)
      [150, 150, 182, 160], // 32: levels 1 and 2
      [10.5, 200, 26.4, 204], // 15.9 wide, but int(26.4) - int(10.5) = 16: learnt (official min_scale)
      [40.9, 200, 56.1, 204], // 15.2 wide and int(56.1) - int(40.9) = 16: learnt
      [60.2, 200, 75.9, 204], // 15.7 wide, int(75.9) - int(60.2) = 15: ignored
      [100, 100, 140, 140], // visible 0.5: ignored (the official test is overlap > 0.5)
      [200, 20, 240, 60], // visible 0.51: learnt
      [0, 0, 250, 250], // crowd: no targets of any kind
    ] as [number, number, number, number][],
    classIds: [0, 1, 0, 0, 0, 1, 1, 0],
    visible: [1, 1, 1, 1, 1, 0.5, 0.51, 1],
    iscrowd: [false, false, false, false, false, false, false, true],
  };
  assert.throws(() => saccadeTargets(objects, { ...OFFICIAL_255, attention: undefined as never }), /saccadeTargets: attention must be \{ sizes, strides \}/);
  assert.throws(() => saccadeTargets(objects, { ...OFFICIAL_255, attention: { sizes: [[16, 16]], strides: [16] } }), /1 attention map sizes, 1 strides and 3 size ranges/);
  assert.throws(() => saccadeTargets({ ...objects, visible: [...objects.visible.slice(1), Number.NaN] }, OFFICIAL_255), /visible\[7\] must be a share in \[0, 1\], got NaN/);
  const t = saccadeTargets(objects, OFFICIAL_255);
  // attention (deepest first, strides 16 / 8 / 4): centres (58, 30) -> level 0 (3, 1), level 1 (7, 3);
  // (166, 155) -> level 1 (20, 19), level 2 (41, 38); the 40 px boxes (120, 120), (220, 40) at level 1
  // only: (15, 15), (27, 5); the three ~16 px ones at level 2: (4, 50), (12, 50), (17, 50)
  const ones = (l: number) => [...t.attention[l].keys()].filter((i) => t.attention[l][i] === 1);
  assert.equal(ones(0), [1 * 16 + 3]);
  assert.equal(ones(1), [3 * 32 + 7, 19 * 32 + 20, 15 * 32 + 15, 5 * 32 + 27].sort((a, b) => a - b));
  const level2 = [[41, 38], [4, 50], [12, 50], [17, 50]].map(([x, y]) => y * 64 + x).sort((a, b) => a - b);
  assert.equal(ones(2), level2);
  // learnt: the 96 and 32 px boxes, the two 16-whole-pixel ones, the 0.51-visible one
  assert.is(t.count, 5);
  assert.is(t.ignored, 2);
  // the ignored ones' corners are masked out in their class channel, and nowhere else
  const tlX = Math.trunc((60.2 * 64) / 255);
  const tlY = Math.trunc((200 * 64) / 255);
  assert.is(t.tlValid[(tlY * 64 + tlX) * C + 0], 0);
  assert.is(t.tlValid[(tlY * 64 + tlX) * C + 1], 1);
  assert.is(t.tlHeatmap[(tlY * 64 + tlX) * C + 0], 0);
});

test('transformBoxes: each kept box\'s visible share of its area, through a crop and a flip', () => {
  // the box [-10, 0, 10, 10] keeps [0, 0, 10, 10]: half of it; x -> 2x doubles both areas
  const moved = transformBoxes([[-10, 0, 10, 10], [20, 20, 30, 40]], { sx: 1, tx: 0, sy: 1, ty: 0 }, 100, 100);
  assert.equal(moved.visible, [0.5, 1]);
  const flipped = transformBoxes([[-10, 0, 10, 10], [40, 0, 60, 10]], { sx: -2, tx: 100, sy: 2, ty: 0 }, 100, 100);
  // x' = 100 - 2x: [-10, 10] -> [80, 120] clipped to [80, 100]; [40, 60] -> [-20, 20] clipped to [0, 20]
  assert.equal(flipped.visible, [0.5, 0.5]);
});

test('cornerNetLoss with valid masks and attention maps: CornerNet_Saccade_Loss (PyTorch fixture: parts, total and every gradient)', async () => {
  const tf = await cpu();
  const L = fixture.loss;
  const geometry = { inputSize: L.inputSize, outputSize: L.outputSize, numClasses: C, attention: { sizes: L.attentionSizes, strides: L.attentionStrides } };
  const images = L.images.map((image, k) => {
    const t = targetsOf(image, geometry);
    assertTargetsEqual(t, image, `loss image ${k}`);
    return t;
  });
  const b = images.length;
  const [oh, ow] = L.outputSize;
  const cat = (key: 'tlHeatmap' | 'brHeatmap' | 'tlValid' | 'brValid') => tf.tensor4d(Float32Array.from(images.flatMap((t) => Array.from(t[key]))), [b, oh, ow, C]);
  const slots = (key: 'tlIndex' | 'brIndex' | 'mask') => tf.tensor2d(images.flatMap((t) => Array.from(t[key])), [b, 128], key === 'mask' ? 'float32' : 'int32');
  const pairs = (key: 'tlOffset' | 'brOffset') => tf.tensor3d(images.flatMap((t) => Array.from(t[key])), [b, 128, 2]);
  const targets: CornerNetTargetTensors = {
    tlHeatmap: cat('tlHeatmap'),
    brHeatmap: cat('brHeatmap'),
    tlIndex: slots('tlIndex'),
    brIndex: slots('brIndex'),
    tlOffset: pairs('tlOffset'),
    brOffset: pairs('brOffset'),
    mask: slots('mask'),
    tlValid: cat('tlValid'),
    brValid: cat('brValid'),
    attention: L.attentionSizes.map(([h, w], l) => tf.tensor4d(Float32Array.from(images.flatMap((t) => Array.from(t.attention[l]))), [b, h, w, 1])),
  };
  const H = CORNERNET_HEADS;
  const official: Record<string, string> = { [H.tlHeatmap]: 'tl_heats', [H.brHeatmap]: 'br_heats', [H.tlEmbedding]: 'tl_tags', [H.brEmbedding]: 'br_tags', [H.tlOffset]: 'tl_regrs', [H.brOffset]: 'br_regrs', 'atts.0': 'atts.0', 'atts.1': 'atts.1', 'atts.2': 'atts.2' };
  const names = Object.keys(official);
  const inputs: Tensor4D[] = [];
  for (const name of names) {
    for (const e of L.logits[official[name]]) {
      const t = tensorOf(e);
      inputs.push(tf.tensor4d(t.data, t.shape as [number, number, number, number]));
    }
  }
  const stacks = L.logits.tl_heats.length;
  const outputsOf = (ts: Tensor[]) => new Map(names.map((name, i) => [name, ts.slice(i * stacks, (i + 1) * stacks) as Tensor4D[]]));
  const loss = cornerNetLoss(tf, outputsOf(inputs), targets);
  // a saccade model's outputs with plain CornerNet targets (or one valid mask) are refused by name
  assert.throws(() => cornerNetLoss(tf, outputsOf(inputs), { ...targets, attention: undefined }), /the model has 3 attention head\(s\), the targets 0 attention map\(s\)/);
  assert.throws(() => cornerNetLoss(tf, outputsOf(inputs), { ...targets, brValid: undefined }), /give both valid masks \(tlValid, brValid\) or neither/);
  const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)), `${what}: ${got} vs official ${want}`);
  for (const [part, want] of Object.entries(L.parts)) close((await loss[part as keyof typeof loss]!.data())[0], want, part);
  close((await loss.total.data())[0], L.total, 'total');
  const grads = tf.grads((...ts: Tensor[]) => cornerNetLoss(tf, outputsOf(ts), targets).total)(inputs);
  let checked = 0;
  names.forEach((name, i) => {
    L.grads[official[name]].forEach((e, s) => {
      const want = tensorOf(e).data;
      const got = grads[i * stacks + s].dataSync();
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(scale > 0, `${name} stack ${s}: the official gradient is all 0`);
      for (let j = 0; j < want.length; j++) assert.ok(Math.abs(got[j] - want[j]) <= 1e-5 * scale, `d total / d ${name} stack ${s} [${j}]: ${got[j]} vs official ${want[j]}`);
      checked++;
    });
  });
  assert.is(checked, names.length * stacks);
});

test('modelTargetSpec: the saccade attention geometry from the graph (the official 16/32/64 at 255), CornerNet-Lite\'s radius for its presets', () => {
  const spec = (name: string, side: number) => {
    const config = preset(name, { labels: ['a', 'b'], inputSize: [side, side] });
    const graph = buildGraph(config);
    return modelTargetSpec(config, graph, inferShapes(graph, side, side));
  };
  assert.equal(spec('cornernet-saccade', 255), { kind: 'cornernet-saccade', numClasses: 2, attention: { sizes: [[16, 16], [32, 32], [64, 64]], strides: [16, 8, 4] }, radius: 'cornernet-lite' });
  assert.equal(spec('cornernet-saccade', 63).attention, { sizes: [[4, 4], [8, 8], [16, 16]], strides: [16, 8, 4] });
  assert.equal(spec('cornernet-squeeze', 255), { kind: 'cornernet', numClasses: 2, radius: 'cornernet-lite' });
  assert.equal(spec('cornernet-tiny', 128), { kind: 'cornernet', numClasses: 2 });
  assert.equal(spec('centernet-tiny', 128), { kind: 'centernet', numClasses: 2 });
});

test('cornernet-saccade starts from its official rate 2.5e-4 (2e-3 saturated its attention maps in the second step), whatever the data', () => {
  assert.is(trainDefaults('cornernet-saccade').lr, 2.5e-4);
  assert.is(chooseRecipe('cornernet-saccade', 100_000).defaults.lr, 2.5e-4);
  assert.is(chooseRecipe('cornernet-saccade', 16).defaults.lr, 2.5e-4);
  assert.is(trainDefaults('cornernet-hourglass104').lr, 2e-3);
});

test('resolveTargetSpec: the saccade fields are checked and named', () => {
  const base = { kind: 'cornernet-saccade' as const, numClasses: 2 };
  assert.throws(() => resolveTargetSpec(base, [63, 63], [16, 16]), /attention .* is given for kind 'cornernet-saccade' and only for it/);
  assert.throws(() => resolveTargetSpec({ kind: 'cornernet', numClasses: 2, attention: { sizes: [[4, 4]], strides: [16] } }, [63, 63], [16, 16]), /only for it/);
  assert.throws(() => resolveTargetSpec({ ...base, attention: { sizes: [[4, 4]], strides: [16, 8] } }, [63, 63], [16, 16]), /as many sizes as strides/);
  assert.throws(() => resolveTargetSpec({ ...base, attention: null as never }, [63, 63], [16, 16]), /attention must be \{ sizes, strides \}, got null/);
  assert.throws(() => resolveTargetSpec({ ...base, attention: { sizes: 'x' as never, strides: [16] } }, [63, 63], [16, 16]), /as many sizes as strides/);
  assert.throws(() => resolveTargetSpec({ ...base, attention: { sizes: [[4, 0]], strides: [16] } }, [63, 63], [16, 16]), /attention\.sizes\[0\]\[1\] must be a positive integer/);
  assert.throws(() => resolveTargetSpec({ ...base, attention: { sizes: [[4, 4]], strides: [-1] } }, [63, 63], [16, 16]), /attention\.strides\[0\] must be a positive number/);
  assert.throws(() => resolveTargetSpec({ kind: 'centernet', numClasses: 2, radius: 'cornernet-lite' }, [64, 64], [16, 16]), /radius must be .* for a CornerNet kind/);
  assert.throws(() => resolveTargetSpec({ kind: 'cornernet', numClasses: 2, radius: 'fast' as never }, [64, 64], [16, 16]), /radius must be 'cornernet' or 'cornernet-lite'/);
});

test('a narrowed cornernet-saccade at 63 x 63: the loader\'s batch has the attention targets, every attention weight gets a gradient, and the attention loss falls', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-saccade-'));
  try {
    await synthDataset({ out: dir, train: 4, val: 0, size: 64, seed: 9 });
    const ds = await loadDataset(path.join(dir, 'train'));
    const config = narrowConfig(preset('cornernet-saccade', { labels: ds.labels, inputSize: [63, 63] }));
    const graph = buildGraph(config);
    const shapes = inferShapes(graph, 63, 63);
    const loader = await createLoader(ds, { batchSize: 4, inputSize: [63, 63], outputSize: [16, 16], mean: config.mean, std: config.std, augment: false, workers: 0, targets: modelTargetSpec(config, graph, shapes) });
    const it = loader.epoch(0);
    const batch = (await it.next()).value as Batch;
    await it.return(undefined);
    await loader.close();
    for (const [key, n] of [['attention0', 4 * 16], ['attention1', 4 * 64], ['attention2', 4 * 256], ['tlValid', 4 * 256 * ds.labels.length]] as const) assert.is(batch.targets[key]?.length, n, key);
    assert.ok(batch.targets.attention2.some((v) => v === 1), 'the synthetic objects (< 32 px at 63) mark the stride-4 map');

    const tf = (await selectBackend('wasm', { log: () => {} })).tf;
    const params = initParams(tf, graph, 3);
    const optimizer = createAdam(tf, 1e-3);
    const attention: number[] = [];
    for (let step = 0; step < 8; step++) {
      const { grads, parts } = await shardGradients(tf, graph, params, batch, config, [16, 16]);
      if (step === 0) {
        const names = trainableNames(params);
        const att = params.trainable.filter((_, i) => names[i].startsWith('att_modules.'));
        assert.ok(att.length >= 3 * 3 * 4, `${att.length} attention weights`);
        for (const v of att) assert.ok((await grads[v.name].abs().max().data())[0] > 0, `${v.name}: no gradient`);
      }
      attention.push(parts.attention);
      applyAdam(tf, optimizer, grads, () => 0);
      tf.dispose(Object.values(grads));
    }
    // the same batch eight times: its attention loss must come down, not stay at the initial prior's
    assert.ok(attention[7] < 0.5 * attention[0], `attention loss ${attention.map((v) => v.toFixed(3)).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train --arch FILE.json: a narrowed cornernet-saccade from its config (classes from the data) trains with saccade crops, validates through the saccade procedure, exports, and its export detects', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-saccade-train-'));
  try {
    await synthDataset({ out: path.join(dir, 'data'), train: 4, val: 2, size: 64, seed: 12 });
    const { labels, numClasses, ...config } = narrowConfig(preset('cornernet-saccade', { labels: ['x'], inputSize: [63, 63] }));
    assert.is(labels.length, numClasses);
    const arch = path.join(dir, 'saccade-narrow.json');
    writeFileSync(arch, JSON.stringify({ ...config, name: 'saccade-narrow' }));
    const lines: string[] = [];
    const out = path.join(dir, 'out');
    const result = await train({ data: path.join(dir, 'data', 'train'), val: path.join(dir, 'data', 'val'), arch, out, epochs: 2, batch: 2, workers: 0, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => /^training saccade-narrow \(cornernet, 6 classes, input 63x63\).*augment full \(saccade crops\)/.test(l)), lines.join('\n'));
    const steps = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; attention?: number });
    assert.is(steps.filter((l) => l.type === 'train' && Number.isFinite(l.attention)).length, 4, 'every step logs its attention loss');
    assert.ok(steps.some((l) => l.type === 'val'), 'validated');
    await loadKernels();
    const bytes = new Uint8Array(readFileSync(result.modelFile!));
    assert.equal(readModelFile(bytes, result.modelFile!).config.labels, ['circle', 'square', 'triangle', 'plus', 'ring', 'star']);
    const det = await ObjectDetector.create({ model: bytes, scoreThreshold: 0 });
    assert.ok(Array.isArray(await det.detect({ data: new Uint8Array(128 * 128 * 3).fill(90), width: 128, height: 128 })));
    det.close();
    // labels that are not the data's are refused by name; a missing file too
    writeFileSync(arch, JSON.stringify({ ...config, name: 'saccade-narrow', numClasses: 1, labels: ['x'] }));
    await train({ data: path.join(dir, 'data', 'train'), arch, out: path.join(dir, 'out2'), epochs: 1, batch: 2, log: () => {} }).then(
      () => assert.unreachable('must refuse'),
      (e: Error) => assert.match(e.message, /--arch .*saccade-narrow\.json: its labels \["x"\] are not --data's classes \["circle",.*leave labels and numClasses out/),
    );
    await train({ data: path.join(dir, 'data', 'train'), arch: path.join(dir, 'none.json'), out: path.join(dir, 'out3'), epochs: 1, batch: 2, log: () => {} }).then(
      () => assert.unreachable('must refuse'),
      (e: Error) => assert.match(e.message, /^train: --arch .*none\.json: cannot read the model config \(no such file\)$/),
    );
    assert.not.ok(existsSync(path.join(dir, 'out2')) || existsSync(path.join(dir, 'out3')), 'no --out folder left by a refused config');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
