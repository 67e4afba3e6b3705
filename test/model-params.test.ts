// Parameter counts against figures known independently of this code: torchvision's ResNet counts,
// and closed-form counts worked out by hand from the official module definitions.
// "Trainable" = conv/deconv weights and biases + BN weight and bias (PyTorch's parameters());
// BN running mean/var are buffers, counted only where said.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GraphBuilder, INPUT, paramSpecs, type Graph } from '../runtime/model/graph.js';
import { fire, residual } from '../runtime/model/parts/blocks.js';
import { ParamReader } from '../runtime/model/parts/params.js';
import { resnet } from '../runtime/model/parts/resnet.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';

function count(graph: Graph, { buffers = false } = {}): number {
  return paramSpecs(graph)
    .filter((s) => buffers || !/running_(mean|var)$/.test(s.name))
    .reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
}

function partGraph(build: (b: GraphBuilder) => void, cin = 3): Graph {
  const b = new GraphBuilder(cin);
  build(b);
  return { inputChannels: cin, stride: 1, sizeMultiple: 1, nodes: b.nodes, heads: {} };
}

function resnetBackbone(fields: Record<string, unknown>): Graph {
  return partGraph((b) => resnet.build(b, INPUT, resnet.parse(new ParamReader({ type: 'resnet', ...fields }, 'test'))));
}

// torchvision: resnet18 11,689,512 / resnet34 21,797,672 / resnet50 25,557,032 parameters in total,
// of which the 1000-way fc layer is 512*1000+1000 = 513,000 (2048*1000+1000 = 2,049,000 for ResNet-50).
test('ResNet-18 without fc: 11,176,512 parameters (torchvision 11,689,512 - fc 513,000)', () => {
  assert.is(count(resnetBackbone({})), 11_689_512 - 513_000);
});

test('ResNet-34 without fc: 21,284,672 (torchvision 21,797,672 - 513,000)', () => {
  assert.is(count(resnetBackbone({ layers: [3, 4, 6, 3] })), 21_797_672 - 513_000);
});

test('ResNet-50 (bottleneck) without fc: 23,508,032 (torchvision 25,557,032 - 2,049,000)', () => {
  assert.is(count(resnetBackbone({ block: 'bottleneck', layers: [3, 4, 6, 3] })), 25_557_032 - 2_049_000);
});

// Hand formulas from the official definitions (core/models/py_utils/utils.py, CornerNet.py).
const bn = (c: number) => 2 * c; // weight + bias
const conv = (k: number, cin: number, cout: number, bias = false) => k * k * cin * cout + (bias ? cout : 0);
const convBn = (k: number, cin: number, cout: number) => conv(k, cin, cout) + bn(cout);
const res = (cin: number, cout: number, stride = 1) =>
  convBn(3, cin, cout) + convBn(3, cout, cout) + (stride !== 1 || cin !== cout ? convBn(1, cin, cout) : 0);
// fire_module(in, out): conv1 1x1 in->out/2 + bn1, conv_1x1 out/2->out/2, conv_3x3 depthwise (9 per channel), bn2 on out.
const fireP = (cin: number, cout: number) => convBn(1, cin, cout / 2) + conv(1, cout / 2, cout / 2) + 9 * (cout / 2) + bn(cout);

test('one residual block 128 -> 256, stride 2: 919,040 parameters + 1,536 BN buffers', () => {
  // conv1 3x3 128x256 = 294,912; conv2 3x3 256x256 = 589,824; skip 1x1 128x256 = 32,768; 3 BNs x 512
  const g = partGraph((b) => residual(b, 'r', INPUT, 256, 2), 128);
  assert.is(count(g), 294_912 + 589_824 + 32_768 + 3 * 512);
  assert.is(count(g), res(128, 256, 2));
  assert.is(count(g, { buffers: true }) - count(g), 3 * 512);
  const same = partGraph((b) => residual(b, 'r', INPUT, 64, 1), 64);
  assert.is(count(same), 2 * (9 * 64 * 64 + 128)); // identity skip: no conv
});

test('one fire module 256 -> 256: 51,072 parameters', () => {
  // squeeze 256x128 = 32,768 + BN 256; expand 1x1 128x128 = 16,384; depthwise 3x3 x128 = 1,152; BN 512
  const g = partGraph((b) => fire(b, 'f', INPUT, 256, 1), 256);
  assert.is(count(g), 32_768 + 256 + 16_384 + 1_152 + 512);
  assert.is(count(g), fireP(256, 256));
});

function hgModule(dims: number[], mods: number[], block: (cin: number, cout: number, stride?: number) => number, unpool: (c: number) => number): number {
  const [curr, next] = dims;
  const [cm, nm] = mods;
  let p = cm * block(curr, curr); // up1
  p += block(curr, next, 2) + (cm - 1) * block(next, next); // low1
  p += dims.length > 2 ? hgModule(dims.slice(1), mods.slice(1), block, unpool) : nm * block(next, next); // low2
  p += (cm - 1) * block(next, next) + block(next, curr); // low3
  return p + unpool(curr);
}

const cornerModule = (dim: number) => 2 * convBn(3, dim, 128) + convBn(3, 128, dim) + convBn(1, dim, dim) + convBn(3, dim, dim);
const head = (k: number, out: number) => conv(k, 256, 256, true) + conv(1, 256, out, true);

function hourglassNet(stemResiduals: number, dims: number[], mods: number[], block: typeof res, unpool: (c: number) => number): number {
  let p = convBn(7, 3, 128) + res(128, 256, 2) + (stemResiduals - 1) * res(256, 256, 2);
  p += 2 * (hgModule(dims, mods, block, unpool) + convBn(3, 256, 256)); // 2 stacks + cnvs
  return p + 2 * convBn(1, 256, 256) + res(256, 256); // inters_, cnvs_, inters
}

test('CornerNet Hourglass-104 (80 classes): 201,035,212 parameters, as the hand formula and the official count', () => {
  const hourglass104 = hourglassNet(1, [256, 256, 384, 384, 384, 512], [2, 2, 2, 2, 2, 4], res, () => 0);
  const heads = 2 * (2 * cornerModule(256) + 2 * (head(3, 80) + head(3, 1) + head(3, 2)));
  // The hand formula gives 201,035,212, the figure quoted for the official model (PyTorch's
  // parameters(), buffers excluded; "~201M"). The reference notes state no count of their own.
  assert.is(hourglass104 + heads, 201_035_212);
  assert.is(count(buildGraph(preset('cornernet-hourglass104'))), 201_035_212);
});

test('CenterNet Hourglass-104 (80 classes) = the same backbone + 2 x (hm, wh, reg) heads', () => {
  const hourglass104 = hourglassNet(1, [256, 256, 384, 384, 384, 512], [2, 2, 2, 2, 2, 4], res, () => 0);
  const heads = 2 * (head(3, 80) + head(3, 2) + head(3, 2));
  assert.is(count(buildGraph(preset('centernet-hourglass104'))), hourglass104 + heads);
  assert.is(hourglass104 + heads, 191_284_008);
});

test('CornerNet-Squeeze (80 classes): fire hourglass of order 4, deconv up-sampling with bias, 1x1 heads', () => {
  const backbone = hourglassNet(2, [256, 256, 384, 384, 512], [2, 2, 2, 2, 4], fireP, (c) => 16 * c * c + c);
  const heads = 2 * (2 * cornerModule(256) + 2 * (head(1, 80) + head(1, 1) + head(1, 2)));
  assert.is(count(buildGraph(preset('cornernet-squeeze'))), backbone + heads);
});

test('CenterNet ResNet-18: backbone + 3 deconv stages + 3 heads, by hand', () => {
  // deconv 4x4 512->256, 256->128, 128->64 without bias, each + BN
  const neck = 16 * 512 * 256 + bn(256) + 16 * 256 * 128 + bn(128) + 16 * 128 * 64 + bn(64);
  const heads = 3 * conv(3, 64, 64, true) + conv(1, 64, 80, true) + 2 * conv(1, 64, 2, true);
  assert.is(count(buildGraph(preset('centernet-resnet18'))), 11_176_512 + neck + heads);
  assert.is(count(buildGraph(preset('centernet-resnet18'))), 14_046_164);
});

/** resnet_dcn's neck: per stage DCN 3x3 (bias) + its conv_offset_mask 3x3 (27 channels, bias) + BN, deconv 4x4 p -> p (no bias) + BN. */
function dcnNeck(cin: number, widths: number[]): number {
  let p = 0;
  for (const w of widths) {
    p += conv(3, cin, w, true) + conv(3, cin, 27, true) + bn(w) + 16 * w * w + bn(w);
    cin = w;
  }
  return p;
}

test('CenterNet ResNet-DCN-18 (80 classes): 14,437,349 parameters, the official ctdet_coco_resdcn18 state dict without BN buffers', () => {
  const heads = 3 * conv(3, 64, 64, true) + conv(1, 64, 80, true) + 2 * conv(1, 64, 2, true);
  const graph = buildGraph(preset('centernet-resdcn18'));
  assert.is(count(graph), 11_176_512 + dcnNeck(512, [256, 128, 64]) + heads);
  // MANIFEST.json (centernet-resdcn): 14,448,741 floats in 151 float tensors (177 keys less 26 num_batches_tracked)
  assert.is(count(graph, { buffers: true }), 14_448_741);
  assert.is(paramSpecs(graph).length, 151);
});

test('CenterNet ResNet-DCN-101 (80 classes): torchvision ResNet-101 without fc (42,500,160) + the DCN neck from 2048 channels + heads', () => {
  // torchvision resnet101: 44,549,160 parameters, fc 2048*1000 + 1000 = 2,049,000
  const heads = 3 * conv(3, 64, 64, true) + conv(1, 64, 80, true) + 2 * conv(1, 64, 2, true);
  assert.is(count(buildGraph(preset('centernet-resdcn101'))), 42_500_160 + dcnNeck(2048, [256, 128, 64]) + heads);
});

test('the tiny presets stay small (trainable on a CPU)', () => {
  assert.ok(count(buildGraph(preset('centernet-tiny', { numClasses: 4 }))) < 1_000_000);
  assert.ok(count(buildGraph(preset('cornernet-tiny', { numClasses: 4 }))) < 1_000_000);
});

test.run();
