// Data-parallel training steps: a batch cut into shards of whole images, and gradient worker
// threads whose combined gradient is the image-weighted mean of the shards' gradients, checked
// against the same shards computed one after the other on this thread.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { inferShapes } from '../runtime/model/graph.js';
import { selectBackend } from '../trainer/backend.js';
import { createLoader, type Batch } from '../trainer/data/loader.js';
import { loadDataset } from '../trainer/data/load.js';
import { synthDataset } from '../trainer/data/synth.js';
import { initParams } from '../trainer/model/params.js';
import { GradientWorkers } from '../trainer/parallel/gradient-workers.js';
import { splitBatch, type Shard } from '../trainer/parallel/shard.js';
import { shardGradients } from '../trainer/step.js';
import { train } from '../trainer/train.js';

const dir = mkdtempSync(path.join(tmpdir(), 'anchorless-parallel-'));
const data = path.join(dir, 'synth');

test.before(async () => {
  await synthDataset({ out: data, train: 10, val: 0, size: 64, seed: 5 });
});

/** A batch of n images whose pixel (image i, value j) is 1000 i + j, and targets of 2 and 3 values per image. */
function numbered(n: number): Shard {
  const per = 2 * 2 * 3;
  return {
    input: Float32Array.from({ length: n * per }, (_, k) => 1000 * Math.floor(k / per) + (k % per)),
    shape: [n, 2, 2, 3],
    targets: {
      mask: Float32Array.from({ length: n * 2 }, (_, k) => 10 * Math.floor(k / 2) + (k % 2)),
      index: Int32Array.from({ length: n * 3 }, (_, k) => 10 * Math.floor(k / 3) + (k % 3)),
    },
  };
}

const firstValues = (s: Shard) => Array.from({ length: s.shape[0] }, (_, i) => s.input[i * 12] / 1000);

test('splitBatch: shards of whole images, sizes as equal as possible, every array cut at the same images', () => {
  const shards = splitBatch(numbered(5), 2);
  assert.equal(shards.map((s) => s.shape), [[3, 2, 2, 3], [2, 2, 2, 3]]);
  assert.equal(shards.map(firstValues), [[0, 1, 2], [3, 4]]);
  assert.equal(Array.from(shards[1].targets.mask), [30, 31, 40, 41]);
  assert.equal(Array.from(shards[1].targets.index), [30, 31, 32, 40, 41, 42]);
  assert.ok(shards[1].targets.index instanceof Int32Array, 'dtype kept');
  // 7 into 3: 3, 2, 2; more parts than images: one image each
  assert.equal(splitBatch(numbered(7), 3).map(firstValues), [[0, 1, 2], [3, 4], [5, 6]]);
  assert.equal(splitBatch(numbered(2), 4).map(firstValues), [[0], [1]]);
});

test('splitBatch: clear errors for a bad part count or arrays that do not fit the batch', () => {
  assert.throws(() => splitBatch(numbered(2), 0), /parts must be a positive integer, got 0/);
  const bad = numbered(2);
  bad.targets.mask = new Float32Array(3);
  assert.throws(() => splitBatch(bad, 2), /target "mask" has 3 values, not a whole number per image for 2 images/);
  assert.throws(() => splitBatch({ ...numbered(2), shape: [3, 2, 2, 3] }, 2), /input has 24 values, shape \[3,2,2,3\] needs 36/);
});

async function realBatch(n: number): Promise<{ batch: Batch; graph: ReturnType<typeof buildGraph>; config: ReturnType<typeof preset>; outputSize: [number, number] }> {
  const ds = await loadDataset(path.join(data, 'train'));
  const config = preset('centernet-tiny', { labels: ds.labels, inputSize: [64, 64] });
  const graph = buildGraph(config);
  const hm = inferShapes(graph, 64, 64).get(graph.heads.hm[0])!;
  const outputSize: [number, number] = [hm.h, hm.w];
  const loader = await createLoader(ds, { batchSize: n, inputSize: [64, 64], outputSize, mean: config.mean, std: config.std, augment: false, workers: 0, targets: { kind: 'centernet', numClasses: config.numClasses } });
  const it = loader.epoch(0);
  const batch = (await it.next()).value as Batch;
  await it.return(undefined);
  await loader.close();
  return { batch, graph, config, outputSize };
}

test('2 threads on 5 images: the gradient is (3 g(first 3) + 2 g(last 2)) / 5, as computed on one thread', async () => {
  const { tf } = await selectBackend('wasm', { log: () => {} });
  const { batch, graph, config, outputSize } = await realBatch(5);
  const params = initParams(tf, graph, 7);
  const [a, b] = splitBatch(batch, 2);
  const ga = await shardGradients(tf, graph, params, a, config, outputSize);
  const gb = await shardGradients(tf, graph, params, b, config, outputSize);
  const workers = await GradientWorkers.start({ tf, backend: 'wasm', graph, config, params, outputSize, threads: 2 });
  try {
    const both = await workers.gradients(batch);
    assert.equal(Object.keys(both.grads).sort(), Object.keys(ga.grads).sort());
    let worst = 0;
    for (const [name, g] of Object.entries(both.grads)) {
      const got = g.dataSync();
      const x = ga.grads[name].dataSync();
      const y = gb.grads[name].dataSync();
      let scale = 1e-6;
      for (let i = 0; i < got.length; i++) scale = Math.max(scale, Math.abs((3 * x[i] + 2 * y[i]) / 5));
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - (3 * x[i] + 2 * y[i]) / 5) / scale);
    }
    assert.ok(worst < 1e-5, `max error relative to each gradient's largest value: ${worst}`);
    for (const key of Object.keys(ga.parts)) {
      const want = (3 * ga.parts[key] + 2 * gb.parts[key]) / 5;
      assert.ok(Math.abs(both.parts[key] - want) <= 1e-6 * Math.max(1, Math.abs(want)), `${key}: ${both.parts[key]} vs ${want}`);
    }
    tf.dispose([...Object.values(both.grads), ...Object.values(ga.grads), ...Object.values(gb.grads)]);
  } finally {
    await workers.close();
  }
});

test('a gradient worker that cannot load its backend fails the start with a clear Error, not a hang', async () => {
  const { tf } = await selectBackend('wasm', { log: () => {} });
  const { graph, config, outputSize } = await realBatch(2);
  const params = initParams(tf, graph, 7);
  try {
    await GradientWorkers.start({ tf, backend: 'no-such-backend' as 'wasm', graph, config, params, outputSize, threads: 2 });
    assert.unreachable('must fail');
  } catch (e) {
    assert.match((e as Error).message, /gradient worker 1 failed to start: --backend must be one of/);
  }
});

test('train: --threads is capped by the batch and said in the log; --threads 0 is refused', async () => {
  const lines: string[] = [];
  const base = { data: path.join(data, 'train'), arch: 'centernet-tiny', inputSize: [64, 64] as [number, number], workers: 0, backend: 'wasm' };
  const result = await train({ ...base, out: path.join(dir, 'run'), batch: 2, steps: 3, threads: 3, log: (l) => lines.push(l) });
  assert.is(result.state.globalStep, 3);
  assert.ok(Number.isFinite(result.lastLoss));
  assert.ok(lines.some((l) => l.includes('backend wasm on 2 threads')), lines.join('\n'));
  try {
    await train({ ...base, out: path.join(dir, 'zero'), threads: 0, log: () => {} });
    assert.unreachable('must refuse');
  } catch (e) {
    assert.match((e as Error).message, /--threads must be a positive integer, got 0/);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
