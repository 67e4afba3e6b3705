// Input sizes as the graphs really compute them (the official 128k - 1 CornerNet sides, 127x255
// for CornerNet-Squeeze, 96x160 for ResNet), refusals that name the node, the official
// keep-resolution sizes, and detect()'s box mapping at those sizes checked against the official
// test code's formulas worked out by hand (not the runtime's transform code).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObjectDetector } from '../runtime/detector.js';
import { fitsSide, GraphBuilder, inferShapes, INPUT, paramSpecs, type Graph } from '../runtime/model/graph.js';
import { CENTERNET_HEADS, CORNERNET_HEADS } from '../runtime/model/names.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../runtime/model/registry.js';
import { keepResolutionSide } from '../runtime/image/keep-resolution.js';
import { writeModelFile } from '../runtime/weights/model-file.js';
import type { ModelConfig } from '../runtime/model/config.js';
import { loadKernels } from './helpers/kernels.js';

function headSize(name: string, h: number, w: number): [number, number] {
  const graph = buildGraph(preset(name, { numClasses: 3 }));
  const heads = inferenceHeads(graph);
  const s = inferShapes(graph, h, w).get(Object.values(heads)[0])!;
  return [s.h, s.w];
}

test('hourglass CornerNet: 127 and 511 (128k - 1) fit, as the 7x7/2 stem takes 511 -> 256 -> 128', () => {
  assert.equal(headSize('cornernet-hourglass104', 127, 127), [32, 32]);
  assert.equal(headSize('cornernet-hourglass104', 511, 511), [128, 128]);
  assert.equal(headSize('cornernet-hourglass104', 511, 767), [128, 192]);
  assert.equal(headSize('cornernet-hourglass104', 512, 512), [128, 128]);
});

test('CornerNet-Squeeze at the case size 127x255 (stride 8: 16x32); ResNet at 96x160 (24x40)', () => {
  assert.equal(headSize('cornernet-squeeze', 127, 255), [16, 32]);
  assert.equal(headSize('cornernet-squeeze', 511, 511), [64, 64]);
  assert.equal(headSize('centernet-resnet18', 96, 160), [24, 40]);
});

test('a side whose up-sampled map misses its skip is refused, naming the node, sizes and nearby sides', () => {
  const graph = buildGraph(preset('cornernet-hourglass104', { numClasses: 3 }));
  // The stride-4 map is ceil(ceil(s / 2) / 2) and the 5 hourglass levels need it divisible by 32:
  // s in 128k - 3 .. 128k. 130 gives 33 -> 17 -> 9 -> 5 -> 3 -> 2, and 2 up-sampled (4) misses 3.
  try {
    inferShapes(graph, 130, 130);
    assert.unreachable('130 must be refused');
  } catch (e) {
    const msg = (e as Error).message;
    assert.match(msg, /^graph node \S+merg: add of 3x3x\d+ and 4x4x\d+ \(input 130x130 does not fit this architecture/);
    assert.match(msg, /sides that fit near 130: 125\.\.128, 253\.\.256; preferred: multiples of 128\)$/);
  }
  for (const s of [125, 126, 127, 128, 253, 511]) assert.ok(fitsSide(graph, s), `${s} fits`);
  for (const s of [124, 129, 130, 252, 257]) assert.not.ok(fitsSide(graph, s), `${s} does not fit`);
  // only the failing side is reported for a non-square input
  assert.throws(() => inferShapes(graph, 511, 130), /sides that fit near 130: 125\.\.128, 253\.\.256;/);
  // a map that shrinks to nothing names the node too
  const b = new GraphBuilder(3);
  b.conv('valid', b.conv('first', INPUT, { cout: 4, kernel: 3, pad: 0 }), { cout: 4, kernel: 3, pad: 0 });
  const valid: Graph = { inputChannels: 3, stride: 1, sizeMultiple: 1, nodes: b.nodes, heads: {} };
  assert.throws(() => inferShapes(valid, 4, 9), /^graph node valid: input 4x9 is too small \(output 0x5x4\) \(input 4x9 does not fit this architecture; sides that fit near 4: 5\.\.\d+; preferred/);
});

test('model configs accept any size the graph computes, and name inputSize otherwise', () => {
  assert.equal(preset('cornernet-hourglass104', { inputSize: [511, 511] }).inputSize, [511, 511]);
  assert.equal(preset('cornernet-squeeze', { inputSize: [127, 255] }).inputSize, [127, 255]);
  assert.throws(() => preset('cornernet-hourglass104', { inputSize: [130, 511] }), /inputSize \[130,511\] does not fit this architecture \(output stride 4\): graph node/);
});

test('keep-resolution sides are the official bit rules: CornerNet side | 127; CenterNet (side | 31) + 1, (side | 127) + 1', () => {
  for (let side = 1; side <= 1100; side++) {
    assert.is(keepResolutionSide('cornernet', side, 128), side | 127, `cornernet ${side}`);
    assert.is(keepResolutionSide('centernet', side, 32), (side | 31) + 1, `centernet/32 ${side}`);
    assert.is(keepResolutionSide('centernet', side, 128), (side | 127) + 1, `centernet/128 ${side}`);
  }
  // the detector uses the graph's preferred multiple: the official pads for the official architectures
  for (const [name, m] of [['cornernet-hourglass104', 128], ['cornernet-squeeze', 128], ['centernet-hourglass104', 128], ['centernet-resnet18', 32]] as const) {
    assert.is(buildGraph(preset(name)).sizeMultiple, m, name);
  }
  assert.is(keepResolutionSide('cornernet', 100, 48), 143); // not a power of two: smallest 48k - 1 >= 100
  assert.throws(() => keepResolutionSide('cornernet', 0, 128), /side must be a positive integer/);
});

// A model whose every weight is zero except the heads' last biases: each head map is a constant,
// so the decode's peaks and boxes are known exactly (heatmap ties go to cell (0, 0), class 0, k = 1).
function constantHeadModel(name: string, inputSize: [number, number], biases: Record<string, number[]>): Uint8Array {
  const base = preset(name, { labels: ['a', 'b', 'c'], inputSize });
  const config: ModelConfig = { ...base, decode: name.startsWith('cornernet') ? { k: 1, kernel: 3, aeThreshold: 0.5, numDets: 1 } : { k: 1, kernel: 3 } };
  const graph = buildGraph(config);
  const heads = inferenceHeads(graph);
  const weights = new Map<string, Float32Array>();
  for (const spec of paramSpecs(graph)) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (spec.name.endsWith('running_var')) data.fill(1);
    weights.set(spec.name, data);
  }
  for (const [head, values] of Object.entries(biases)) weights.get(`${heads[head]}.bias`)!.set(values);
  return writeModelFile(config, weights);
}

const image = (width: number, height: number) => ({ data: new Uint8Array(width * height * 3).fill(120), width, height, channels: 3 as const });

// Corner maps: heat logit 0 everywhere (score 0.5), tags 0, tl offset (10.25, 8.5), br (20.75, 17.875):
// the one detection is the corner pair at cell (0, 0): tl (10.25, 8.5), br (20.75, 17.875) on the output map.
const CORNER_BIASES = {
  [CORNERNET_HEADS.tlHeatmap]: [0, 0, 0],
  [CORNERNET_HEADS.brHeatmap]: [0, 0, 0],
  [CORNERNET_HEADS.tlOffset]: [10.25, 8.5],
  [CORNERNET_HEADS.brOffset]: [20.75, 17.875],
};
const CORNER_BOX = [10.25, 8.5, 20.75, 17.875];

/**
 * princeton-vl/CornerNet test/coco.py, one scale, in float32 as it runs: ratios = out / inp
 * (out = (inp + 1) // 4), xs /= ratio, xs -= border (the resized image's place in the input),
 * clip to the resized size, then / scale.
 */
function officialCornerBox(inp: [number, number], border: [number, number], resized: [number, number], scale: number): number[] {
  const f = Math.fround;
  const [inpH, inpW] = inp;
  const ratioH = f(Math.floor((inpH + 1) / 4) / inpH);
  const ratioW = f(Math.floor((inpW + 1) / 4) / inpW);
  const [x1, y1, x2, y2] = CORNER_BOX;
  const x = (v: number) => f(Math.min(Math.max(f(f(v / ratioW) - border[1]), 0), resized[1]) / scale);
  const y = (v: number) => f(Math.min(Math.max(f(f(v / ratioH) - border[0]), 0), resized[0]) / scale);
  return [x(x1), y(y1), x(x2), y(y2)];
}

function assertBox(actual: { xmin: number; ymin: number; xmax: number; ymax: number }, expected: number[], what: string): void {
  const got = [actual.xmin, actual.ymin, actual.xmax, actual.ymax];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-3, `${what}: box [${got}] vs official [${expected}]`);
}

test('CornerNet at a fixed 511x511 input: boxes map back by 511 / 128, not 4', async () => {
  await loadKernels();
  const det = await ObjectDetector.create({ model: constantHeadModel('cornernet-tiny', [511, 511], CORNER_BIASES), scoreThreshold: 0 });
  const found = await det.detect(image(400, 300));
  assert.is(found.length, 1);
  assert.is(found[0].score, 0.5);
  // fitted: scale min(511 / 400, 511 / 300) = 1.2775, resized 511 x 383, border (511 // 2 - 383 // 2, 0) = (64, 0)
  assertBox(found[0].box, officialCornerBox([511, 511], [64, 0], [383, 511], 1.2775), '511 fixed');
  // not what stride 4 would give
  assert.ok(Math.abs(found[0].box.xmin - (10.25 * 4) / 1.2775) > 0.05);
  det.close();
});

test('CornerNet keepResolution: the image at its own size, padded to side | (multiple - 1) as the official test (| 127 there)', async () => {
  await loadKernels();
  const det = await ObjectDetector.create({ model: constantHeadModel('cornernet-tiny', [128, 128], CORNER_BIASES), scoreThreshold: 0, keepResolution: true, scales: [1] });
  // cornernet-tiny's multiple is 32 (the hourglass-104's 128, hence the official | 127).
  // 300 x 200: input 319 x 223 (300 | 31, 200 | 31), border (223 // 2 - 100, 319 // 2 - 150) = (11, 9)
  const found = await det.detect(image(300, 200));
  assert.is(found.length, 1);
  assertBox(found[0].box, officialCornerBox([223, 319], [11, 9], [200, 300], 1), 'keepResolution');
  const scaled = await ObjectDetector.create({ model: constantHeadModel('cornernet-tiny', [128, 128], CORNER_BIASES), scoreThreshold: 0, keepResolution: true, scales: [0.5] });
  // scale 0.5: resized 150 x 100, input 159 x 127, border (63 - 50, 79 - 75) = (13, 4)
  const half = await scaled.detect(image(300, 200));
  assertBox(half[0].box, officialCornerBox([127, 159], [13, 4], [100, 150], 0.5), 'keepResolution at scale 0.5');
  det.close();
  scaled.close();
});

test('CenterNet keepResolution: input (side | 15) + 1 for a multiple-16 model, boxes by the official inverse affine', async () => {
  await loadKernels();
  const biases = { [CENTERNET_HEADS.heatmap]: [0, 0, 0], [CENTERNET_HEADS.size]: [8, 6], [CENTERNET_HEADS.offset]: [5.5, 3.25] };
  const det = await ObjectDetector.create({ model: constantHeadModel('centernet-tiny', [128, 128], biases), scoreThreshold: 0, keepResolution: true });
  // 100 x 60: input 112 x 64 ((100 | 15) + 1, (60 | 15) + 1), output 28 x 16; c = (100 // 2, 60 // 2),
  // s = (112, 64). Official ctdet_post_process: x = (x_out - out_w / 2) * s_w / out_w + c_x, and y with
  // the same factor s_w / out_w. The detection: centre (5.5, 3.25), size 8 x 6 on the output map.
  const found = await det.detect(image(100, 60));
  assert.is(found.length, 1);
  const k = 112 / 28;
  const x = (v: number) => (v - 14) * k + 50;
  const y = (v: number) => (v - 8) * k + 30;
  assertBox(found[0].box, [x(1.5), y(0.25), x(9.5), y(6.25)], 'centernet keepResolution');
  det.close();
});
test.run();
