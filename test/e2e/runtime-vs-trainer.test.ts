// Every preset with random weights: the runtime's execution plan (wasm kernels, batch norm folded,
// weights packed, buffers shared) against the trainer's TensorFlow.js graph in inference mode
// (cpu backend), on the same weights and input: head outputs within 1e-4 relative error, and
// the same detections after decoding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { decodeCenterNet, decodeCornerNet } from '../../runtime/decode/index.js';
import { ExecutionPlan } from '../../runtime/engine/plan.js';
import { paramSpecs } from '../../runtime/model/graph.js';
import { CENTERNET_HEADS, CORNERNET_HEADS } from '../../runtime/model/names.js';
import { preset, PRESET_NAMES } from '../../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../../runtime/model/registry.js';
import type { Tensor } from '../../runtime/ops/tensor.js';
import { runGraph } from '../../trainer/model/tf-graph.js';
import { loadKernels } from '../helpers/kernels.js';
import { randomF32, scaleRelativeError } from '../helpers/random.js';
import { randomWeights } from '../helpers/random-weights.js';
import { tfCpu } from '../helpers/tf.js';

/** Smallest input each architecture allows (its size multiple), and few classes, to keep CI fast. */
const CASES: Record<string, [number, number]> = {
  'centernet-tiny': [64, 96],
  'centernet-resnet18': [64, 64],
  'centernet-resdcn18': [64, 64],
  'centernet-resdcn101': [64, 64],
  'centernet-dla34': [32, 64],
  'cornernet-tiny': [64, 64],
  'cornernet-squeeze': [128, 128],
  'cornernet-hourglass104': [128, 128],
  'centernet-hourglass104': [128, 128],
  'cornernet-saccade': [64, 64],
};

test('the cases cover every preset', () => {
  assert.equal(Object.keys(CASES).sort(), [...PRESET_NAMES].sort());
});

for (const name of PRESET_NAMES) {
  test(`${name}: runtime head outputs and detections equal the TensorFlow.js graph's`, async () => {
    const kn = await loadKernels();
    const tf = await tfCpu();
    const [h, w] = CASES[name];
    const config = preset(name, { numClasses: 3, inputSize: [h, w] });
    const graph = buildGraph(config);
    const weights = randomWeights(graph, 7);
    const input = randomF32(h * w * 3, 11, -2, 2);
    const heads = inferenceHeads(graph);

    const plan = ExecutionPlan.build(kn, graph, weights, heads, h, w);
    const heapBefore = kn.heap.allocatedBytes;
    plan.run(input);
    const ours = Object.fromEntries(Object.keys(heads).map((head) => [head, plan.output(head)]));
    plan.run(input); // a second run reuses the same buffers and gives the same answer
    assert.is(kn.heap.allocatedBytes, heapBefore, 'run() allocates nothing');
    for (const head of Object.keys(heads)) assert.equal(plan.output(head).data, ours[head].data);
    plan.release();

    const reference: Record<string, Tensor> = {};
    tf.tidy(() => {
      const params = new Map(paramSpecs(graph).map((s) => [s.name, tf.tensor(weights.get(s.name)!, s.shape)]));
      const out = runGraph(tf, graph, params, tf.tensor4d(input, [1, h, w, 3]) as Tensor4D, { training: false, stacks: 'last' });
      for (const [head, stacks] of out) reference[head] = { data: stacks[0].dataSync() as Float32Array, shape: stacks[0].shape };
    });

    for (const head of Object.keys(heads)) {
      assert.equal(ours[head].shape, reference[head].shape, `${head} shape`);
      const err = scaleRelativeError(ours[head].data, reference[head].data);
      assert.ok(err <= 1e-4, `${name} ${head}: max error relative to the output's scale ${err.toExponential(2)} > 1e-4`);
    }

    const decode = (out: Record<string, Tensor>) =>
      config.detector === 'centernet'
        ? decodeCenterNet({ heatmap: out[CENTERNET_HEADS.heatmap], wh: out[CENTERNET_HEADS.size], offset: out[CENTERNET_HEADS.offset] }, { k: 20 })
        : decodeCornerNet(
            {
              tlHeatmap: out[CORNERNET_HEADS.tlHeatmap],
              brHeatmap: out[CORNERNET_HEADS.brHeatmap],
              tlEmbedding: out[CORNERNET_HEADS.tlEmbedding],
              brEmbedding: out[CORNERNET_HEADS.brEmbedding],
              tlOffset: out[CORNERNET_HEADS.tlOffset],
              brOffset: out[CORNERNET_HEADS.brOffset],
            },
            { k: 20, numDets: 50 },
          );
    const a = decode(ours);
    const b = decode(reference);
    assert.is(a.length, b.length, 'same number of detections');
    // random weights give large sizes: compare coordinates relative to the boxes' scale
    const scale = Math.max(1, ...b.flatMap((d) => [d.box.xmin, d.box.ymin, d.box.xmax, d.box.ymax].map(Math.abs)));
    a.forEach((d, i) => {
      assert.is(d.classId, b[i].classId, `detection ${i} class`);
      assert.ok(Math.abs(d.score - b[i].score) <= 1e-4, `detection ${i} score ${d.score} vs ${b[i].score}`);
      for (const k of ['xmin', 'ymin', 'xmax', 'ymax'] as const) assert.ok(Math.abs(d.box[k] - b[i].box[k]) <= 1e-4 * scale, `detection ${i} ${k}: ${d.box[k]} vs ${b[i].box[k]}`);
    });
  });
}


test.run();
