// DLA-34 and DLA-up (runtime/model/parts/dla.ts, dla-up.ts), the centernet-dla34 preset and the
// centernet-dla importer family, against the official pose_dla_dcn.py: the shapes its modules
// produce (worked out by hand from DLASeg), its checkpoint's key list (MANIFEST.json, full width)
// and the reduced fixture checkpoint with its PyTorch outputs (test/fixtures/official).

import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { ExecutionPlan } from '../runtime/engine/plan.js';
import type { ShapeMap } from '../runtime/import/family.js';
import { centernetDla } from '../runtime/import/families/centernet-dla.js';
import { importCheckpoint, planImport } from '../runtime/import/import.js';
import type { ModelConfig } from '../runtime/model/config.js';
import { inferShapes, paramSpecs, type GraphNode } from '../runtime/model/graph.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../runtime/model/registry.js';
import { parseSafetensors, readTensor } from '../runtime/weights/safetensors.js';
import { readStateDict } from '../runtime/weights/torch/index.js';
import { runGraph } from '../trainer/model/tf-graph.js';
import { loadKernels } from './helpers/kernels.js';
import { scaleRelativeError } from './helpers/random.js';
import { tfCpu } from './helpers/tf.js';

const FIXTURES = new URL('./fixtures/official/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('MANIFEST.json', FIXTURES), 'utf8')).families['centernet-dla'];

/** The full-width key list of ctdet_coco_dla_2x.pth, without the BN step counters. */
function officialShapes(): Map<string, number[]> {
  const keys = manifest.official.keys as [string, number[], string][];
  return new Map(keys.filter(([k]) => !k.endsWith('.num_batches_tracked')).map(([k, s]) => [k, s]));
}

/** The reduced fixture checkpoint's key shapes, as the torch reader gives them. */
function fixtureShapes(): Map<string, readonly number[]> {
  const dict = readStateDict(new Uint8Array(readFileSync(new URL('centernet-dla.pth', FIXTURES))), 'centernet-dla.pth');
  return new Map([...dict.tensors].filter(([k]) => !k.endsWith('.num_batches_tracked')).map(([k, t]) => [k, t.shape]));
}

/** Keys the official forward never reads: the ImageNet classifier, and the depth-2 trees' own project. */
const UNUSED = [
  ...['weight', 'bias'].map((p) => `base.fc.${p}`),
  ...[3, 4].flatMap((level) => ['0.weight', '1.weight', '1.bias', '1.running_mean', '1.running_var'].map((p) => `base.level${level}.project.${p}`)),
].sort();

/**
 * Every official key maps through rename to one parameter of the graph of `config`, with the shape
 * the (2, 3, 1, 0) transpose gives; every parameter is filled exactly once; returns the skipped keys.
 */
function checkOneToOne(shapes: ShapeMap, config: ModelConfig): string[] {
  const specs = new Map(paramSpecs(buildGraph(config)).map((s) => [s.name, s]));
  const filled = new Set<string>();
  const skipped: string[] = [];
  for (const [key, shape] of shapes) {
    const name = centernetDla.rename(key);
    if (name === null) {
      skipped.push(key);
      continue;
    }
    assert.type(name, 'string', `${key} is a key of the family`);
    const spec = specs.get(name!);
    assert.ok(spec, `${key} -> ${name} is a parameter of the graph`);
    const s = spec!.shape;
    assert.equal([...shape], s.length === 4 ? [s[3], s[2], s[0], s[1]] : s, `${key} -> ${name} shape`);
    assert.not.ok(filled.has(name!), `${name} filled twice`);
    filled.add(name!);
  }
  assert.equal([...specs.keys()].filter((n) => !filled.has(n)), [], 'every parameter filled');
  return skipped.sort();
}

test('centernet-dla34 at 512x512: every level and aggregation at the official stride and width, heads on the stride-4 64-channel map', () => {
  const graph = buildGraph(preset('centernet-dla34'));
  const shapes = inferShapes(graph, 512, 512);
  const at = (node: string) => shapes.get(node);
  const hwc = (s: number, c: number) => ({ h: 512 / s, w: 512 / s, c });
  // DLA forward: base_layer and level0 at stride 1, level1 at 2, the trees at 4 .. 32
  assert.equal(at('base.base_layer.0'), hwc(1, 16));
  assert.equal(at('base.level0.0'), hwc(1, 16));
  assert.equal(at('base.level1.0'), hwc(2, 32));
  assert.equal(at('base.level2.root'), hwc(4, 64));
  assert.equal(at('base.level3.tree2.root'), hwc(8, 128));
  assert.equal(at('base.level4.tree2.root'), hwc(16, 256));
  assert.equal(at('base.level5.root'), hwc(32, 512));
  // the roots' concatenations: Tree's root_dim (2 out [+ level input] [+ first subtree's output])
  assert.equal(at('base.level2.root.cat')!.c, 128);
  assert.equal(at('base.level3.tree1.root.cat')!.c, 256);
  assert.equal(at('base.level3.tree2.root.cat')!.c, 448);
  assert.equal(at('base.level4.tree2.root.cat')!.c, 896);
  assert.equal(at('base.level5.root.cat')!.c, 1280);
  // DLAUp: ida_0 brings level5 to stride 16, ida_1 to 8, ida_2 to 4; IDAUp then merges at stride 4
  assert.equal(at('dla_up.ida_0.node_1.conv'), hwc(16, 256));
  assert.equal(at('dla_up.ida_1.node_2.conv'), hwc(8, 128));
  assert.equal(at('dla_up.ida_2.node_3.conv'), hwc(4, 64));
  assert.equal(at('ida_up.node_2.conv'), hwc(4, 64));
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  for (const [head, c] of [['hm', 80], ['wh', 2], ['reg', 2]] as const) {
    const [node] = graph.heads[head];
    assert.equal(at(node), hwc(4, c), head);
    assert.equal(byName.get(`${head}.0.0`)!.inputs, ['ida_up.node_2.conv'], `${head} reads y[-1] of ida_up`);
  }
  assert.is(graph.stride, 4);
  assert.is(graph.sizeMultiple, 32);
});

test('centernet-dla34 at the fixture size 96x160: 24x40 heads; sides that are not multiples of 32 are refused', () => {
  const graph = buildGraph(preset('centernet-dla34', { numClasses: 3 }));
  const shapes = inferShapes(graph, 96, 160);
  for (const [head, c] of [['hm', 3], ['wh', 2], ['reg', 2]] as const) assert.equal(shapes.get(graph.heads[head][0]), { h: 24, w: 40, c });
  assert.throws(() => inferShapes(graph, 112, 160), /multiples of 32/);
});

test('dla: a depth-3 tree (DLA-60 levels [1, 1, 1, 2, 3, 1]) aggregates as the official Tree, projecting only in its depth-1 subtree', () => {
  const config = { ...preset('centernet-dla34', { numClasses: 2 }), backbone: { type: 'dla', levels: [1, 1, 1, 2, 3, 1] } } as unknown as ModelConfig;
  const graph = buildGraph(config);
  const shapes = inferShapes(graph, 64, 64);
  // Tree(3, 128 -> 256, level_root) root_dim: 2 * 256 + 128 = 640; tree1 = Tree(2) with its own
  // 512 (its tree2's root: 512 + 256); tree2 = Tree(2, root_dim 640 + 256 = 896), whose tree2's root
  // sees 896 + 256 = 1152 channels: [x2, x1, pooled level input, level tree1's out, tree2.tree1's out]
  const cat = (tree: string) => shapes.get(`base.level4.${tree}.root.cat`)!.c;
  assert.equal([cat('tree1.tree1'), cat('tree1.tree2'), cat('tree2.tree1'), cat('tree2.tree2')], [512, 768, 512, 1152]);
  assert.equal(shapes.get('base.level4.tree2.tree2.root'), { h: 4, w: 4, c: 256 });
  const names = new Set(graph.nodes.map((n) => n.name));
  assert.ok(names.has('base.level4.tree1.tree1.project.0'));
  assert.not.ok(names.has('base.level4.project.0') || names.has('base.level4.tree1.project.0'), 'deeper trees build no project of their own');
});

test('DLA-up has the 16 DCNv2 units (3x3, bias, BN, ReLU) and 8 depthwise transposed convs of the official model', () => {
  const graph = buildGraph(preset('centernet-dla34'));
  const dcn = graph.nodes.filter((n) => n.op === 'dcn');
  assert.is(dcn.length, 16);
  for (const n of dcn) assert.ok(n.op === 'dcn' && n.kernel === 3 && n.stride === 1 && n.pad === 1 && n.bias && n.bn && n.act === 'relu', n.name);
  const ups = graph.nodes.filter((n): n is GraphNode & { op: 'deconv' } => n.op === 'deconv');
  assert.equal(ups.map((n) => n.name), [
    'dla_up.ida_0.up_1', 'dla_up.ida_1.up_1', 'dla_up.ida_1.up_2', 'dla_up.ida_2.up_1', 'dla_up.ida_2.up_2', 'dla_up.ida_2.up_3', 'ida_up.up_1', 'ida_up.up_2',
  ]);
  for (const n of ups) {
    // kernel 2f, stride f, padding f / 2: f = 4 for ida_up.up_2 (stride 16 -> 4), else 2
    const f = n.name === 'ida_up.up_2' ? 4 : 2;
    assert.equal([n.kernel, n.stride, n.pad, n.outputPadding], [2 * f, f, f / 2, 0], n.name);
    assert.ok(n.groups === n.cin && n.cin === n.cout && !n.bias && !n.bn && n.act === 'none', `${n.name} depthwise, no bias, no BN`);
  }
});

test('importer: the full-width ctdet_coco_dla_2x key list maps one to one onto the centernet-dla34 graph', () => {
  const shapes = officialShapes();
  assert.ok(centernetDla.matches(shapes));
  const config = centernetDla.config(shapes, 'ctdet_coco_dla_2x.pth');
  const ours = preset('centernet-dla34');
  assert.equal([config.backbone, config.neck, config.head, config.numClasses], [ours.backbone, ours.neck, ours.head, 80]);
  assert.equal([config.inputSize, config.decode], [[512, 512], { k: 100, kernel: 3 }]);
  assert.equal(config.labels, ours.labels);
  assert.equal(checkOneToOne(shapes, config), UNUSED);
  // and through the importer's own planning (the same checks the CLI runs)
  const plan = planImport(shapes, 'ctdet_coco_dla_2x.pth');
  assert.is(plan.family.name, 'centernet-dla');
  assert.equal([...plan.skipped].sort(), UNUSED);
  assert.is(plan.moves.length, plan.specs.length);
});

test('importer: the reduced fixture checkpoint (widths / 8) reads its widths from the shapes and maps one to one', () => {
  const shapes = fixtureShapes();
  const config = centernetDla.config(shapes, 'centernet-dla.pth');
  const widths = manifest.reduced.widths;
  assert.equal(config.backbone, { type: 'dla', levels: widths.levels, channels: widths.channels });
  assert.equal(config.head, { type: 'centernet', headChannels: widths.head, headKernel: 3 });
  assert.is(config.numClasses, 80);
  assert.equal(checkOneToOne(shapes, config), UNUSED);
});

test('importer: a checkpoint that is not DLA-34-shaped is refused with an Error naming the key or the depths', () => {
  const noHeat = officialShapes();
  noHeat.delete('hm.2.weight');
  assert.throws(() => centernetDla.config(noHeat, 'x.pth'), /x\.pth: centernet-dla: key hm\.2\.weight is missing/);
  // level3 one tree deeper: base.level3.tree1.* moved under base.level3.tree1.tree1.*
  const deeper = new Map([...officialShapes()].map(([k, s]) => [k.replace(/^base\.level3\.tree1\./, 'base.level3.tree1.tree1.'), s]));
  assert.throws(() => centernetDla.config(deeper, 'x.pth'), /tree depths \[1,3,2,1\].*DLA-34's \[1,2,2,1\]/);
  const noTrees = new Map([...officialShapes()].filter(([k]) => !k.startsWith('base.level4.')));
  assert.throws(() => centernetDla.config(noTrees, 'x.pth'), /base\.level4\(\.tree1\)\*\.tree1\.conv1\.weight/);
  assert.is(centernetDla.rename('base.level2.tree1.conv3.weight'), undefined);
  assert.is(centernetDla.rename('dla_up.ida_0.proj_1.actf.1.weight'), undefined);
});

test('dla-up: down ratios 2, 8 and 16 take the official first level; a ResNet backbone works too; bad fields are refused', () => {
  const cfg = (neck: Record<string, unknown>, backbone: Record<string, unknown> = { type: 'dla' }) =>
    ({ ...preset('centernet-dla34', { numClasses: 2 }), backbone, neck } as unknown as ModelConfig);
  // first_level = log2(down ratio); the output width is that level's (channels[first_level])
  for (const [ratio, width] of [[2, 32], [8, 128], [16, 256]]) {
    const graph = buildGraph(cfg({ type: 'dla-up', downRatio: ratio }));
    assert.is(graph.stride, ratio);
    assert.equal(inferShapes(graph, 64, 128).get(graph.heads.hm[0]), { h: 64 / ratio, w: 128 / ratio, c: 2 }, `down ratio ${ratio}`);
    const into = graph.nodes.find((n) => n.name === 'hm.0.0')!;
    assert.is(inferShapes(graph, 64, 128).get(into.inputs[0])!.c, width);
  }
  const resnet = buildGraph(cfg({ type: 'dla-up' }, { type: 'resnet' }));
  assert.is(resnet.stride, 4);
  assert.equal(inferShapes(resnet, 64, 64).get(resnet.heads.wh[0]), { h: 16, w: 16, c: 2 });
  assert.throws(() => buildGraph(cfg({ type: 'dla-up', downRatio: 3 })), /neck: downRatio must be 2, 4, 8 or 16, got 3/);
  assert.throws(() => buildGraph(cfg({ type: 'dla-up', downRatio: 32 })), /neck\.downRatio must be an integer in \[2, 16\]/);
  assert.throws(() => buildGraph(cfg({ type: 'dla-up', first: 2 })), /neck\.first: unknown field/);
  assert.throws(() => buildGraph(cfg({ type: 'dla-up' }, { type: 'dla', levels: [1, 1, 1, 2, 2] })), /backbone\.levels must have 6 entries, got 5/);
  assert.throws(() => buildGraph(cfg({ type: 'dla-up' }, { type: 'hourglass' })), /neck: dla-up neck needs a single-stack backbone that exposes its levels/);
});

/** The fixture's input (NCHW, BGR as the official code reads images) as our NHWC RGB input. */
function caseInput(file: ReturnType<typeof parseSafetensors>, h: number, w: number): Float32Array {
  const nchw = readTensor(file, 'input');
  const nhwc = new Float32Array(h * w * 3);
  for (let c = 0; c < 3; c++) for (let i = 0; i < h * w; i++) nhwc[i * 3 + (2 - c)] = nchw[c * h * w + i];
  return nhwc;
}

function toNchw(data: ArrayLike<number>, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(h * w * c);
  for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) out[k * h * w + i] = data[i * c + k];
  return out;
}

const CASE = manifest.cases[0] as { input: number[]; outputs: Record<string, number[]> };

test('the imported fixture through the trainer\'s TensorFlow.js graph gives the official PyTorch outputs (1e-4)', async () => {
  const tf = await tfCpu();
  const model = importCheckpoint(new Uint8Array(readFileSync(new URL('centernet-dla.pth', FIXTURES))), { source: 'centernet-dla.pth' });
  const file = parseSafetensors(new Uint8Array(readFileSync(new URL('centernet-dla.case.safetensors', FIXTURES))), 'centernet-dla.case.safetensors');
  const [, , h, w] = CASE.input;
  const graph = buildGraph(model.config);
  tf.tidy(() => {
    const params = new Map(paramSpecs(graph).map((s) => [s.name, tf.tensor(model.weights.get(s.name)!, s.shape)]));
    const out = runGraph(tf, graph, params, tf.tensor4d(caseInput(file, h, w), [1, h, w, 3]) as Tensor4D, { training: false, stacks: 'last' });
    for (const [head, shape] of Object.entries(CASE.outputs)) {
      const [t] = out.get(head)!;
      assert.equal(t.shape, [1, shape[2], shape[3], shape[1]], head);
      const err = scaleRelativeError(toNchw(t.dataSync(), shape[2], shape[3], shape[1]), readTensor(file, head));
      assert.ok(err <= 1e-4, `${head}: error relative to the output's scale ${err.toExponential(2)} > 1e-4`);
    }
  });
});

test('the imported fixture through the runtime\'s execution plan gives the official PyTorch outputs (1e-4)', async () => {
  const kn = await loadKernels();
  const model = importCheckpoint(new Uint8Array(readFileSync(new URL('centernet-dla.pth', FIXTURES))), { source: 'centernet-dla.pth' });
  const file = parseSafetensors(new Uint8Array(readFileSync(new URL('centernet-dla.case.safetensors', FIXTURES))), 'centernet-dla.case.safetensors');
  const [, , h, w] = CASE.input;
  const graph = buildGraph(model.config);
  const plan = ExecutionPlan.build(kn, graph, model.weights, inferenceHeads(graph), h, w);
  try {
    plan.run(caseInput(file, h, w));
    for (const [head, shape] of Object.entries(CASE.outputs)) {
      const out = plan.output(head);
      assert.equal(out.shape, [1, shape[2], shape[3], shape[1]], head);
      const err = scaleRelativeError(toNchw(out.data, shape[2], shape[3], shape[1]), readTensor(file, head));
      assert.ok(err <= 1e-4, `${head}: error relative to the output's scale ${err.toExponential(2)} > 1e-4`);
    }
  } finally {
    plan.release();
  }
});

test.run();
