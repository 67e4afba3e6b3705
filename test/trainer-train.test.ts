// Training steps end to end: graph + targets + losses + Adam reduce the loss on a fixed batch on
// the cpu and the wasm backend, both backends compute the same gradients, and the CPU-sized
// presets (centernet-tiny, cornernet-tiny) run a forward and backward pass with their real losses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Scalar, Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { GraphBuilder, INPUT, type Graph } from '../runtime/model/graph.js';
import { CENTERNET_HEADS } from '../runtime/model/names.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import type { TF } from '../trainer/backend.js';
import { centerNetLoss, centerNetTargetTensors } from '../trainer/losses/centernet-loss.js';
import { cornerNetLoss, cornerNetTargetTensors } from '../trainer/losses/cornernet-loss.js';
import { exportParams, initParams, type ModelParams } from '../trainer/model/params.js';
import { runGraph } from '../trainer/model/tf-graph.js';
import { centerNetTargets } from '../trainer/targets/centernet-targets.js';
import { cornerNetTargets } from '../trainer/targets/cornernet-targets.js';
import type { Box } from '../trainer/targets/objects.js';
import { randomF32 } from './helpers/random.js';
import { relErr, withBackend } from './helpers/trainer.js';

/**
 * conv s2 - max-pool s2 - conv - corner pools (top + left) - up-sample x2 - conv - heads hm
 * (2 classes), wh, reg: input 32 x 32 -> maps 16 x 16. Every op kind but deconv and concat.
 */
function tinyCenterGraph(): Graph {
  const b = new GraphBuilder(3);
  let x = b.conv('c1', INPUT, { cout: 8, kernel: 3, stride: 2 });
  x = b.maxpool('pool1', x, 3, 2, 1);
  x = b.conv('c2', x, { cout: 8, kernel: 3 });
  const t = b.cornerpool('top', x, 'top');
  const l = b.cornerpool('left', x, 'left');
  x = b.sum('pool', t, l, 'relu');
  x = b.upsample('up', x, 2);
  x = b.conv('c3', x, { cout: 8, kernel: 3 });
  const heads: Record<string, string[]> = {};
  for (const [name, c] of [[CENTERNET_HEADS.heatmap, 2], [CENTERNET_HEADS.size, 2], [CENTERNET_HEADS.offset, 2]] as const) {
    heads[name] = [b.conv(name, x, { cout: c, kernel: 1, bn: false, act: 'none' })];
  }
  return { inputChannels: 3, stride: 2, sizeMultiple: 2, nodes: b.nodes, heads };
}

const BOXES: Box[][] = [
  [[4, 6, 14, 20], [18, 2, 30, 12]],
  [[10, 10, 26, 28]],
];
const CLASSES = [[0, 1], [1]];

function centerBatch(tf: TF) {
  const geometry = { inputSize: [32, 32] as const, outputSize: [16, 16] as const, numClasses: 2, maxObjs: 8 };
  const targets = centerNetTargetTensors(tf, BOXES.map((boxes, i) => centerNetTargets({ boxes, classIds: CLASSES[i] }, geometry)), [16, 16], 2);
  const images = tf.tensor4d(randomF32(2 * 32 * 32 * 3, 5), [2, 32, 32, 3]);
  return { targets, images };
}

function lossOf(tf: TF, graph: Graph, params: ModelParams, batch: ReturnType<typeof centerBatch>): Scalar {
  return centerNetLoss(tf, runGraph(tf, graph, params.values, batch.images, { training: true }), batch.targets).total;
}

function trainSteps(tf: TF, steps: number): { first: number; last: number } {
  const graph = tinyCenterGraph();
  const params = initParams(tf, graph, 3);
  const batch = centerBatch(tf);
  const opt = tf.train.adam(1e-2);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = opt.minimize(() => lossOf(tf, graph, params, batch), true, params.trainable)!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  const stats = exportParams(params).get('c1.bn.running_mean')!;
  assert.ok(stats.some((v) => v !== 0), 'training-mode forward passes moved the running mean');
  opt.dispose();
  tf.dispose([batch.images, ...Object.values(batch.targets), ...params.values.values()]);
  return { first: losses[0], last: losses[losses.length - 1] };
}

test('Adam on a fixed batch lowers the CenterNet loss of a small graph (cpu backend)', async () => {
  await withBackend('cpu', (tf) => {
    const { first, last } = trainSteps(tf, 25);
    assert.ok(last < 0.7 * first, `loss ${first} -> ${last}`);
  });
});

test('Adam on a fixed batch lowers the CenterNet loss of a small graph (wasm backend with its fallback kernels)', async () => {
  await withBackend('wasm', (tf) => {
    assert.is(tf.getBackend(), 'wasm');
    const { first, last } = trainSteps(tf, 25);
    assert.ok(last < 0.7 * first, `loss ${first} -> ${last}`);
  });
});

test('cpu and wasm backends compute the same loss and gradients', async () => {
  const run = (tf: TF) => {
    const graph = tinyCenterGraph();
    const params = initParams(tf, graph, 9);
    const batch = centerBatch(tf);
    const { value, grads } = tf.variableGrads(() => lossOf(tf, graph, params, batch), params.trainable);
    const names = new Map(params.specs.map((s) => [params.values.get(s.name)!.name, s.name]));
    const out = { loss: value.dataSync()[0], grads: new Map(Object.entries(grads).map(([k, g]) => [names.get(k)!, g.dataSync() as Float32Array])) };
    tf.dispose([value, ...Object.values(grads), batch.images, ...Object.values(batch.targets), ...params.values.values()]);
    return out;
  };
  const cpu = await withBackend('cpu', run);
  const wasm = await withBackend('wasm', run);
  assert.ok(Math.abs(cpu.loss - wasm.loss) < 1e-4 * cpu.loss, `${cpu.loss} vs ${wasm.loss}`);
  assert.is(wasm.grads.size, cpu.grads.size);
  for (const [name, g] of cpu.grads) {
    // Relative to the gradient's own scale: tiny entries differ by summation order only.
    const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const e = relErr(wasm.grads.get(name)!, g, Math.max(scale * 1e-2, 1e-6));
    assert.ok(e < 1e-3, `${name}: ${e}`);
  }
});

/** One training step of a preset at 64 x 64 with its real loss: finite loss, finite non-zero gradients. */
function presetStep(tf: TF, name: 'centernet-tiny' | 'cornernet-tiny'): void {
  const config = preset(name, { numClasses: 3, inputSize: [64, 64] });
  const graph = buildGraph(config);
  const params = initParams(tf, graph, 1);
  const images = tf.tensor4d(randomF32(2 * 64 * 64 * 3, 7), [2, 64, 64, 3]);
  const objects = [
    { boxes: [[4, 8, 40, 30], [30, 30, 60, 62]] as Box[], classIds: [0, 2] },
    { boxes: [[10, 5, 22, 50]] as Box[], classIds: [1] },
  ];
  const geometry = { inputSize: [64, 64] as const, outputSize: [16, 16] as const, numClasses: 3, maxObjs: 16 };
  const lossFn = (): Scalar => {
    const outputs = runGraph(tf, graph, params.values, images, { training: true });
    for (const [head, maps] of outputs) assert.equal(maps[0].shape.slice(0, 3), [2, 16, 16], head);
    if (name === 'centernet-tiny') {
      const t = centerNetTargetTensors(tf, objects.map((o) => centerNetTargets(o, geometry)), [16, 16], 3);
      return centerNetLoss(tf, outputs, t).total;
    }
    const t = cornerNetTargetTensors(tf, objects.map((o) => cornerNetTargets(o, geometry)), [16, 16], 3);
    return cornerNetLoss(tf, outputs, t).total;
  };
  const { value, grads } = tf.variableGrads(lossFn, params.trainable);
  assert.ok(Number.isFinite(value.dataSync()[0]), `${name} loss ${value.dataSync()[0]}`);
  assert.is(Object.keys(grads).length, params.trainable.length);
  let nonZero = 0;
  for (const g of Object.values(grads)) {
    const v = g.dataSync();
    assert.ok(v.every(Number.isFinite), `${name}: a gradient is not finite`);
    if (v.some((x) => x !== 0)) nonZero++;
  }
  // Every trainable parameter feeds the loss; a few may see an all-zero gradient by ReLU sparsity.
  assert.ok(nonZero > 0.9 * params.trainable.length, `${name}: ${nonZero} of ${params.trainable.length} gradients non-zero`);
  const inference = runGraph(tf, graph, params.values, images, { training: false, stacks: 'last' });
  assert.equal([...inference.keys()].sort(), Object.keys(graph.heads).sort());
  tf.dispose([value, ...Object.values(grads), images, ...params.values.values(), ...[...inference.values()].flat()]);
}

test('presets centernet-tiny and cornernet-tiny: forward + backward with their losses (cpu)', async () => {
  await withBackend('cpu', (tf) => {
    presetStep(tf, 'centernet-tiny');
    presetStep(tf, 'cornernet-tiny');
  });
});

test('preset cornernet-tiny: forward + backward on the wasm backend', async () => {
  await withBackend('wasm', (tf) => presetStep(tf, 'cornernet-tiny'));
});

test.run();
