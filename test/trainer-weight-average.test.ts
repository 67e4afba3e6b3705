// The moving average of the weights (trainer/weight-average.ts): its decay's warm-up, each update
// against a float32 reference computed here element by element, every parameter (batch-norm
// running statistics included) averaged, load() and its errors; on the cpu and the wasm backend.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { initParams } from '../trainer/model/params.js';
import { averageDecayAt, createWeightAverage } from '../trainer/weight-average.js';
import { withBackend } from './helpers/trainer.js';
import { randomF32 } from './helpers/random.js';

const f = Math.fround;

test('the decay warms up as (1 + t) / (10 + t) and is then capped', () => {
  assert.is(averageDecayAt(0.998, 0), 0.1);
  assert.is(averageDecayAt(0.998, 8), 0.5);
  assert.is(averageDecayAt(0.998, 90), 0.91);
  // (1 + t) / (10 + t) passes 0.998 at t = 4490
  assert.is(averageDecayAt(0.998, 4489), 4490 / 4499);
  assert.is(averageDecayAt(0.998, 4491), 0.998);
  assert.is(averageDecayAt(0.998, 1e6), 0.998);
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: each update is avg = d avg + (1 - d) w in float32, for every parameter`, async () => {
    await withBackend(backend, async (tf) => {
      const graph = buildGraph(preset('centernet-tiny', { labels: ['a', 'b'], inputSize: [32, 32] }));
      const params = initParams(tf, graph, 5);
      const average = createWeightAverage(tf, params, 0.9);
      try {
        let expected: Map<string, Float32Array> = new Map(params.specs.map((s) => [s.name, Float32Array.from(params.values.get(s.name)!.dataSync())]));
        assert.ok(params.specs.some((s) => s.name.endsWith('.running_var')), 'running statistics are parameters too');
        for (let step = 1; step <= 4; step++) {
          // new weights, as an optimiser step (and the forward pass's running statistics) would leave them
          params.specs.forEach((s, i) => {
            const v = params.values.get(s.name)!;
            tf.tidy(() => v.assign(tf.tensor(randomF32(v.size, 100 * step + i, -2, 2), v.shape)));
          });
          average.update(step);
          const d = f(averageDecayAt(0.9, step));
          const e = f(1 - averageDecayAt(0.9, step));
          const next = new Map<string, Float32Array>();
          for (const s of params.specs) {
            const w = params.values.get(s.name)!.dataSync();
            next.set(s.name, expected.get(s.name)!.map((a, j) => f(f(a * d) + f(w[j] * e))));
          }
          expected = next;
          const got = await average.values();
          assert.equal([...got.keys()], params.specs.map((s) => s.name), 'in the weight file order');
          for (const [name, want] of expected) {
            const have = got.get(name)!;
            assert.ok(have.every((v, j) => Object.is(v, want[j])), `step ${step}: ${name}`);
          }
        }
      } finally {
        average.dispose();
        for (const v of params.values.values()) v.dispose();
      }
    });
  });
}

test('load() replaces the average; a missing or mis-sized parameter is an Error naming the source', async () => {
  await withBackend('cpu', async (tf) => {
    const graph = buildGraph(preset('centernet-tiny', { labels: ['a'], inputSize: [32, 32] }));
    const params = initParams(tf, graph, 1);
    const average = createWeightAverage(tf, params, 0.99);
    try {
      const weights = new Map(params.specs.map((s, i) => [s.name, randomF32(s.shape.reduce((a, b) => a * b, 1), i, -1, 1)]));
      average.load(weights, 'ckpt.safetensors');
      const got = await average.values();
      for (const [name, w] of weights) assert.ok(got.get(name)!.every((v, j) => v === w[j]), name);
      const first = params.specs[0].name;
      const missing = new Map(weights);
      missing.delete(first);
      assert.throws(() => average.load(missing, 'ckpt.safetensors'), (e: Error) => e.message.startsWith('ckpt.safetensors: the weight average has no ') && e.message.includes(first));
      const short = new Map(weights).set(first, new Float32Array(1));
      assert.throws(() => average.load(short, 'ckpt.safetensors'), /ckpt\.safetensors: the weight average has no /);
      assert.throws(() => createWeightAverage(tf, params, 1), /decay must be in \(0, 1\), got 1/);
    } finally {
      average.dispose();
      for (const v of params.values.values()) v.dispose();
    }
  });
});

test.run();
