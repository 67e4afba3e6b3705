// Every preset builds, fits its documented strides at several input sizes, and prunes to the last
// stack for inference. Shapes are checked against input / stride worked out by hand.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { heatmapNodes, inferShapes, paramSpecs, pruneTo, type Graph } from '../runtime/model/graph.js';
import { CENTERNET_HEADS, CORNERNET_HEADS } from '../runtime/model/names.js';
import { COCO_LABELS, COCO_MEAN_RGB, COCO_STD_RGB, PRESET_NAMES, preset } from '../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../runtime/model/registry.js';
import { validateConfig } from '../runtime/model/config.js';

// name -> [output stride, stacks, input multiple, default size, another allowed (non-square) size]
const EXPECTED: Record<string, { stride: number; stacks: number; multiple: number; size: number; other: [number, number] }> = {
  'centernet-resnet18': { stride: 4, stacks: 1, multiple: 32, size: 512, other: [384, 416] },
  'centernet-tiny': { stride: 4, stacks: 1, multiple: 16, size: 128, other: [64, 96] },
  'centernet-resdcn18': { stride: 4, stacks: 1, multiple: 32, size: 512, other: [384, 416] },
  'centernet-resdcn101': { stride: 4, stacks: 1, multiple: 32, size: 512, other: [384, 416] },
  'centernet-dla34': { stride: 4, stacks: 1, multiple: 32, size: 512, other: [384, 416] },
  'centernet-hourglass104': { stride: 4, stacks: 2, multiple: 128, size: 512, other: [384, 640] },
  'cornernet-hourglass104': { stride: 4, stacks: 2, multiple: 128, size: 512, other: [256, 384] },
  'cornernet-squeeze': { stride: 8, stacks: 2, multiple: 128, size: 512, other: [256, 384] },
  'cornernet-tiny': { stride: 4, stacks: 1, multiple: 32, size: 128, other: [160, 96] },
  // The official 255 (128k - 1): 7x7/2 pad 3 -> 128, stride-2 residual -> 64.
  'cornernet-saccade': { stride: 4, stacks: 3, multiple: 32, size: 255, other: [256, 384] },
};

/** CornerNet-Saccade's attention maps, besides the corner heads: one per hourglass level, deepest first (strides 16, 8, 4). */
const ATTENTION: Record<string, number> = { 'atts.0': 16, 'atts.1': 8, 'atts.2': 4 };

// ResNet + plain deconv up-sampling (no skips): every input size computes; checked at 528 = 512 + 16.
const ANY_SIZE = new Set(['centernet-resnet18', 'centernet-resdcn18', 'centernet-resdcn101']);

test('the preset list is the documented one', () => {
  assert.equal([...PRESET_NAMES].sort(), Object.keys(EXPECTED).sort());
});

for (const name of Object.keys(EXPECTED)) {
  const e = EXPECTED[name];
  test(`${name}: builds, stride ${e.stride}, ${e.stacks} stack(s), head shapes at ${e.size}x${e.size} and ${e.other.join('x')}`, () => {
    const config = preset(name, { numClasses: 3 });
    assert.equal(config.inputSize, [e.size, e.size]);
    const graph = buildGraph(config);
    assert.is(graph.inputChannels, 3);
    assert.is(graph.stride, e.stride);
    assert.is(graph.sizeMultiple, e.multiple);
    const channels: Record<string, number> = config.detector === 'centernet'
      ? { hm: 3, wh: 2, reg: 2 }
      : { tl_heat: 3, br_heat: 3, tl_tag: 1, br_tag: 1, tl_regr: 2, br_regr: 2 };
    const attention = name === 'cornernet-saccade' ? ATTENTION : {};
    assert.equal(Object.keys(graph.heads).sort(), [...Object.keys(channels), ...Object.keys(attention)].sort());
    for (const [h, w] of [[e.size, e.size], e.other]) {
      const shapes = inferShapes(graph, h, w);
      for (const [head, nodes] of Object.entries(graph.heads)) {
        assert.is(nodes.length, e.stacks, head);
        // an odd side (128k - 1) rounds up at every stride-2 step
        const stride = attention[head] ?? e.stride;
        const want = { h: Math.ceil(h / stride), w: Math.ceil(w / stride), c: channels[head] ?? 1 };
        for (const n of nodes) assert.equal(shapes.get(n), want, `${head} ${n} at ${h}x${w}`);
      }
    }
    const odd = e.size + e.multiple / 2;
    if (ANY_SIZE.has(name)) {
      // No skip merges: the graph computes any size, as PyTorch does (528 -> 264 -> 132 -> 66 -> 33 -> 17, up x8 = 136).
      const head = Object.values(inferenceHeads(graph))[0];
      assert.equal(inferShapes(graph, odd, e.size).get(head), { h: 136, w: e.size / e.stride, c: channels[Object.keys(inferenceHeads(graph))[0]] });
    } else {
      // A side whose up-sampled map misses its skip is refused, naming the node and the preferred multiple.
      assert.throws(() => inferShapes(graph, odd, e.size), new RegExp(`graph node \\S+: (add|concat) of .*multiples of ${e.multiple}`));
      // And asking the preset for it is refused at validation, naming the field.
      assert.throws(() => preset(name, { inputSize: [odd, e.size] }), /inputSize.*multiples of/);
    }
  });

  test(`${name}: unique parameter names, heatmap prior only on the heatmap heads' last convs`, () => {
    const graph = buildGraph(preset(name, { numClasses: 5 }));
    const specs = paramSpecs(graph);
    assert.is(new Set(specs.map((s) => s.name)).size, specs.length);
    const heatHeads = graph.heads[CENTERNET_HEADS.heatmap] ?? [...graph.heads[CORNERNET_HEADS.tlHeatmap], ...graph.heads[CORNERNET_HEADS.brHeatmap]];
    // CornerNet-Saccade's attention maps are focal-loss heatmaps too (one channel each)
    const attHeads = Object.keys(ATTENTION).flatMap((head) => graph.heads[head] ?? []);
    assert.equal([...heatmapNodes(graph)].sort(), [...heatHeads, ...attHeads].sort());
    const prior = specs.filter((s) => s.init === 'heatmap-prior');
    assert.equal(prior.map((s) => s.name).sort(), [...heatHeads, ...attHeads].map((n) => `${n}.bias`).sort());
    for (const s of prior) assert.equal(s.shape, attHeads.some((n) => s.name === `${n}.bias`) ? [1] : [5]);
  });

  test(`${name}: the config survives a JSON round trip unchanged`, () => {
    const config = preset(name);
    const again = validateConfig(JSON.parse(JSON.stringify(config)), 'round-trip.json');
    assert.equal(again, config);
    assert.equal(buildGraph(again), buildGraph(config));
  });
}

function nodesOf(graph: Graph, outputs: string[]): Set<string> {
  return new Set(pruneTo(graph, outputs).map((n) => n.name));
}

test('pruneTo the last stack drops the first stack heads and corner modules, keeps its backbone', () => {
  const graph = buildGraph(preset('cornernet-hourglass104'));
  const outputs = Object.values(inferenceHeads(graph));
  assert.equal(outputs.sort(), ['br_heats.1.1', 'br_regrs.1.1', 'br_tags.1.1', 'tl_heats.1.1', 'tl_regrs.1.1', 'tl_tags.1.1']);
  const kept = nodesOf(graph, outputs);
  for (const n of kept) assert.not.ok(/^(tl|br)_\w+\.0\./.test(n), `first-stack node ${n} kept`);
  for (const nodes of Object.values(graph.heads)) assert.not.ok(kept.has(nodes[0]));
  // The second stack reads the first through cnvs_ / inters_, so the first hourglass stays.
  for (const n of ['hg.cnvs.0', 'hg.cnvs_.0', 'hg.inters_.0', 'hg.inters.0', 'hg.hgs.0.merg', 'tl_modules.1.conv2']) assert.ok(kept.has(n), n);
  assert.ok(kept.size < graph.nodes.length);
});

test('pruneTo the last stack of CenterNet Hourglass-104 keeps exactly the 3 last heads', () => {
  const graph = buildGraph(preset('centernet-hourglass104'));
  const kept = nodesOf(graph, Object.values(inferenceHeads(graph)));
  const heads = graph.nodes.filter((n) => /^(hm|wh|reg)\./.test(n.name)).map((n) => n.name);
  assert.equal(heads.filter((n) => kept.has(n)).sort(), ['hm.1.0', 'hm.1.1', 'reg.1.0', 'reg.1.1', 'wh.1.0', 'wh.1.1']);
});

test('centernet-tiny: lateral skips from the stride-8 and stride-4 stages into the up-sampling', () => {
  const graph = buildGraph(preset('centernet-tiny', { numClasses: 3 }));
  const node = (name: string) => graph.nodes.find((n) => n.name === name)!;
  const shapes = inferShapes(graph, 128, 128);
  // layer2 ends at stride 8 (16x16, 64 ch), layer1 at stride 4 (32x32, 32 ch): the deconv outputs' shapes
  assert.equal(node('skips.0').inputs, ['layer2.1']);
  assert.equal(node('skips.1').inputs, ['layer1.1']);
  assert.equal(node('skips.0.sum').inputs, ['deconv_layers.0', 'skips.0']);
  assert.equal(node('skips.1.sum').inputs, ['deconv_layers.1', 'skips.1']);
  assert.equal(shapes.get('skips.0.sum'), { h: 16, w: 16, c: 64 });
  assert.equal(shapes.get('skips.1.sum'), { h: 32, w: 32, c: 32 });
  // the heads read the last sum; the official centernet-resnet18 has no skips
  assert.ok(graph.nodes.some((n) => n.inputs.includes('skips.1.sum') && n.name.startsWith('hm')));
  assert.not.ok(buildGraph(preset('centernet-resnet18', { numClasses: 3 })).nodes.some((n) => n.name.startsWith('skips')));
});

test('preset options: classes, labels, sizes, normalisation', () => {
  const coco = preset('centernet-tiny');
  assert.is(coco.numClasses, 80);
  assert.equal(coco.labels, [...COCO_LABELS]);
  assert.is(coco.labels[0], 'person');
  assert.is(coco.labels[79], 'toothbrush');
  assert.equal(coco.mean, COCO_MEAN_RGB);
  assert.equal(coco.std, COCO_STD_RGB);
  // RGB order: the official BGR arrays reversed.
  assert.equal(coco.mean, [0.47026115, 0.44719302, 0.40789654]);
  assert.equal(preset('cornernet-tiny', { numClasses: 2 }).labels, ['class0', 'class1']);
  const voc = preset('centernet-tiny', { labels: ['cat', 'dog'] });
  assert.is(voc.numClasses, 2);
  assert.equal(voc.labels, ['cat', 'dog']);
  assert.throws(() => preset('centernet-tiny', { numClasses: 3, labels: ['cat', 'dog'] }), /2 labels given for numClasses 3/);
  assert.throws(() => preset('centernet-resnet50'), /unknown model "centernet-resnet50".*centernet-resnet18/);
  assert.equal(preset('cornernet-squeeze').decode, { k: 20, kernel: 3, aeThreshold: 0.5, numDets: 100, pairScore: 'mean' });
  assert.equal(preset('cornernet-hourglass104').decode, { k: 100, kernel: 3, aeThreshold: 0.5, numDets: 1000, pairScore: 'mean' });
  assert.equal(preset('cornernet-tiny').decode, { k: 100, kernel: 3, aeThreshold: 1, numDets: 1000, pairScore: 'geometric' });
  assert.equal(preset('centernet-resnet18').decode, { k: 100, kernel: 3 });
});

test('CornerNet-Squeeze uses fire modules, transposed-conv up-sampling and 1x1 head convs', () => {
  const graph = buildGraph(preset('cornernet-squeeze'));
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const up = byName.get('hg.hgs.0.up2');
  assert.ok(up && up.op === 'deconv' && up.kernel === 4 && up.stride === 2 && up.pad === 1 && up.bias && !up.bn);
  const dw = byName.get('hg.hgs.0.up1.0.conv_3x3');
  assert.ok(dw && dw.op === 'conv' && dw.kernel === 3 && dw.groups === dw.cin && dw.cin === 128 && dw.cout === 128);
  const headConv = byName.get('tl_heats.1.0');
  assert.ok(headConv && headConv.op === 'conv' && headConv.kernel === 1 && headConv.bias && !headConv.bn);
  const poolConv = byName.get('tl_modules.1.p1_conv1');
  assert.ok(poolConv && poolConv.op === 'conv' && poolConv.kernel === 3);
  assert.not.ok(graph.nodes.some((n) => n.op === 'upsample'));
  // Stem: 7x7/2 conv then two stride-2 residuals.
  assert.ok(byName.has('hg.pre.2.skip'));
});

test('CornerNet Hourglass-104 corner modules pool top+left and bottom+right', () => {
  const graph = buildGraph(preset('cornernet-hourglass104'));
  const dirs = (prefix: string) => graph.nodes.filter((n) => n.op === 'cornerpool' && n.name.startsWith(prefix)).map((n) => (n.op === 'cornerpool' ? n.direction : ''));
  assert.equal(dirs('tl_modules.0.'), ['top', 'left']);
  assert.equal(dirs('br_modules.1.'), ['bottom', 'right']);
  // Nearest x2 up-sampling, one per hourglass level (5) per stack (2).
  assert.is(graph.nodes.filter((n) => n.op === 'upsample' && n.factor === 2).length, 10);
});

test.run();
