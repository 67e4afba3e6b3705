// detector.infer: raw head outputs of the last stack for a normalised input, keyed by the official
// names, in NHWC or NCHW, at sizes other than the detector's own; checked against an
// ExecutionPlan built directly, with the layouts transposed here by index arithmetic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObjectDetector } from '../runtime/detector.js';
import { ExecutionPlan } from '../runtime/engine/plan.js';
import type { ModelConfig } from '../runtime/model/config.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../runtime/model/registry.js';
import type { Tensor } from '../runtime/ops/tensor.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import { loadKernels } from './helpers/kernels.js';
import { rng } from './helpers/random.js';
import { randomWeights } from './helpers/random-weights.js';

function model(name: string, extra: Partial<ModelConfig> = {}) {
  const config: ModelConfig = { ...preset(name, { labels: ['a', 'b', 'c'], inputSize: [64, 64] }), ...extra };
  const graph = buildGraph(config);
  const weights = randomWeights(graph, 11);
  return { config, graph, weights, bytes: writeModelFile(config, weights) };
}

function randomInput(h: number, w: number, seed = 3): Tensor {
  const r = rng(seed);
  const data = new Float32Array(h * w * 3);
  for (let i = 0; i < data.length; i++) data[i] = r() * 4 - 2;
  return { data, shape: [1, h, w, 3] };
}

/** NHWC [1,H,W,C] -> NCHW [1,C,H,W]: element (y, x, c) moves to c * H * W + y * W + x. */
function toNCHW(t: Tensor): Tensor {
  const [, h, w, c] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[ch * h * w + y * w + x] = t.data[(y * w + x) * c + ch];
  return { data: out, shape: [1, c, h, w] };
}

/** The plan's own outputs for the same weights and input: the reference. */
async function planOutputs(m: ReturnType<typeof model>, input: Tensor): Promise<Record<string, Tensor>> {
  const kn = await loadKernels();
  const heads = inferenceHeads(m.graph);
  const plan = ExecutionPlan.build(kn, m.graph, m.weights, heads, input.shape[1], input.shape[2]);
  plan.run(input.data);
  const out = Object.fromEntries(Object.keys(heads).map((h) => [h, plan.output(h)]));
  plan.release();
  return out;
}

const CORNER_NAMES = { tl_heat: 'tl_heats', br_heat: 'br_heats', tl_tag: 'tl_tags', br_tag: 'br_tags', tl_regr: 'tl_regrs', br_regr: 'br_regrs' };

test('cornernet: infer at 127x127 (not the detector size) equals the plan, NHWC and NCHW, official names', async () => {
  const m = model('cornernet-tiny');
  const det = await ObjectDetector.create({ model: m.bytes });
  const input = randomInput(127, 127);
  const expected = await planOutputs(m, input);
  const nhwc = await det.infer(input);
  assert.equal(Object.keys(nhwc).sort(), Object.values(CORNER_NAMES).sort());
  for (const [head, name] of Object.entries(CORNER_NAMES)) {
    assert.equal(nhwc[name].shape, expected[head].shape, name);
    assert.equal(nhwc[name].shape.slice(1, 3), [32, 32]);
    assert.equal(Array.from(nhwc[name].data), Array.from(expected[head].data), name);
  }
  const nchw = await det.infer(toNCHW(input), { layout: 'NCHW' });
  for (const [head, name] of Object.entries(CORNER_NAMES)) {
    const want = toNCHW(expected[head]);
    assert.equal(nchw[name].shape, want.shape, name);
    assert.equal(Array.from(nchw[name].data), Array.from(want.data), name);
  }
  // explicit NHWC is the default
  assert.equal(Array.from((await det.infer(input, { layout: 'NHWC' })).tl_heats.data), Array.from(nhwc.tl_heats.data));
  det.close();
});

test('centernet: hm, wh, reg; detect still works after infer on other sizes (plan cache)', async () => {
  const m = model('centernet-tiny');
  const det = await ObjectDetector.create({ model: m.bytes, scoreThreshold: 0, maxResults: 10 });
  const img = { data: new Uint8Array(50 * 40 * 3).map((_, i) => (i * 37) % 256), width: 50, height: 40, channels: 3 as const };
  const before = await det.detect(img);
  for (const [h, w] of [[96, 160], [64, 64], [48, 80], [96, 160]]) {
    const input = randomInput(h, w, h + w);
    const out = await det.infer(input);
    const expected = await planOutputs(m, input);
    assert.equal(Object.keys(out).sort(), ['hm', 'reg', 'wh']);
    for (const name of ['hm', 'wh', 'reg']) assert.equal(Array.from(out[name].data), Array.from(expected[name].data), `${name} at ${h}x${w}`);
  }
  assert.equal(await det.detect(img), before);
  assert.equal(det.inputSize, [64, 64]);
  det.close();
  try {
    await det.infer(randomInput(64, 64));
    assert.unreachable('infer after close');
  } catch (e) {
    assert.match((e as Error).message, /after close/);
  }
});

test('outputNames: CornerNet-Lite offsets as tl_offs / br_offs; bad names refused at validation', async () => {
  const m = model('cornernet-tiny', { outputNames: { tl_regr: 'tl_offs', br_regr: 'br_offs' } });
  const det = await ObjectDetector.create({ model: m.bytes });
  const out = await det.infer(randomInput(64, 64));
  assert.equal(Object.keys(out).sort(), ['br_heats', 'br_offs', 'br_tags', 'tl_heats', 'tl_offs', 'tl_tags']);
  det.close();
  assert.throws(() => model('cornernet-tiny', { outputNames: { tl_offset: 'tl_offs' } }), /outputNames\.tl_offset: unknown head \(heads: tl_heat, /);
  assert.throws(() => model('cornernet-tiny', { outputNames: { tl_regr: '' } }), /outputNames\.tl_regr must be a non-empty string/);
  assert.throws(() => model('cornernet-tiny', { outputNames: { tl_regr: 'tl_heats' } }), /heads tl_heat and tl_regr would both be named "tl_heats"/);
  assert.throws(() => model('cornernet-tiny', { outputNames: ['tl_offs'] as unknown as Record<string, string> }), /outputNames must be an object/);
});

test('bad inputs and options are Errors naming what is wrong', async () => {
  const m = model('cornernet-tiny');
  const det = await ObjectDetector.create({ model: m.bytes });
  const good = randomInput(64, 64);
  const nan = randomInput(64, 64);
  nan.data[17] = Number.NaN;
  const cases: [unknown, unknown, RegExp][] = [
    [good, { layuot: 'NCHW' }, /ObjectDetector\.infer: unknown option name "layuot" \(valid: layout\)/],
    [good, { layout: 'CHW' }, /options\.layout must be 'NHWC' or 'NCHW', got 'CHW'/],
    [good, null, /options must be an object/],
    [good, { layout: 'NCHW' }, /input must have shape \[1, 3, H, W\] for layout 'NCHW', got \[1,64,64,3\]/],
    [{ data: new Float32Array(64 * 64 * 4), shape: [1, 64, 64, 4] }, {}, /input must have shape \[1, H, W, 3\] for layout 'NHWC', got \[1,64,64,4\]/],
    [{ data: new Float32Array(2 * 64 * 64 * 3), shape: [2, 64, 64, 3] }, {}, /input must have shape \[1, H, W, 3\]/],
    [{ data: new Float32Array(64 * 64 * 3), shape: [64, 64, 3] }, {}, /input must have rank 4/],
    [{ data: new Float32Array(10), shape: [1, 64, 64, 3] }, {}, /input\.data has 10 elements but shape \[1,64,64,3\] needs 12288/],
    [{ data: [1, 2, 3], shape: [1, 1, 1, 3] }, {}, /input\.data must be a Float32Array/],
    [nan, {}, /input\.data\[17\] is NaN; a network input must be finite/],
    [randomInput(130, 64), {}, /ObjectDetector\.infer: graph node \S+: add of .*input 130x64 does not fit this architecture; sides that fit near 130: .*multiples of 32/],
    [undefined, {}, /input must be a tensor/],
  ];
  for (const [input, options, pattern] of cases) {
    try {
      await det.infer(input as Tensor, options as { layout?: 'NHWC' });
      assert.unreachable(`expected an error for ${String(pattern)}`);
    } catch (e) {
      assert.instance(e, Error);
      assert.match((e as Error).message, pattern);
    }
  }
  // still usable afterwards
  assert.equal((await det.infer(good)).tl_heats.shape, [1, 16, 16, 3]);
  det.close();
});

test.run();
