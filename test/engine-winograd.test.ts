// The execution plan's Winograd choice (runtime/engine/plan.ts): every 3x3 stride-1 conv with 8+
// channels in multiples of 4 runs the Winograd kernel by default, the outputs equal the direct
// kernels' to float rounding, `winograd: false` and a memory limit that holds only the direct
// packing both run every conv direct, and releasing the plans gives back all kernel memory
// (the Winograd convs' shared scratch included).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExecutionPlan } from '../runtime/engine/plan.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../runtime/model/registry.js';
import { loadKernels } from './helpers/kernels.js';
import { randomF32, scaleRelativeError } from './helpers/random.js';
import { randomWeights } from './helpers/random-weights.js';

const SIZE = 64;
const config = preset('centernet-resnet18', { numClasses: 3, inputSize: [SIZE, SIZE] });
const graph = buildGraph(config);
const weights = randomWeights(graph, 5);
const heads = inferenceHeads(graph);
const input = randomF32(SIZE * SIZE * 3, 6);

/** The convs Winograd F(2x2, 3x3) can run, counted from the graph. */
const eligible = graph.nodes.filter((n) => n.op === 'conv' && n.kernel === 3 && n.stride === 1 && n.dilation === 1 && n.groups === 1 && n.cin % 4 === 0 && n.cout % 4 === 0 && n.cin >= 8 && n.cout >= 8).length;

function outputs(plan: ExecutionPlan): Record<string, Float32Array> {
  plan.run(input);
  return Object.fromEntries(Object.keys(heads).map((h) => [h, plan.output(h).data.slice()]));
}

test('winograd: the plan runs every eligible conv with it; outputs equal the direct plan to float rounding', async () => {
  const kn = await loadKernels();
  const before = kn.heap.allocatedBytes;
  assert.ok(eligible >= 15, `centernet-resnet18 has ${eligible} eligible 3x3 convs`);
  const wino = ExecutionPlan.build(kn, graph, weights, heads, SIZE, SIZE);
  const direct = ExecutionPlan.build(kn, graph, weights, heads, SIZE, SIZE, { winograd: false });
  try {
    assert.is(wino.stats.winogradConvs, eligible);
    assert.is(direct.stats.winogradConvs, 0);
    const [a, b] = [outputs(wino), outputs(direct)];
    for (const h of Object.keys(heads)) {
      const err = scaleRelativeError(a[h], b[h]);
      assert.ok(err < 1e-5, `${h}: winograd vs direct ${err}`);
      assert.ok(err > 0, `${h}: the two plans ran different kernels (bit-identical outputs would mean they did not)`);
    }
  } finally {
    wino.release();
    direct.release();
  }
  assert.is(kn.heap.allocatedBytes, before, 'released plans give back all kernel memory');
});

test('winograd: a memory limit that holds the direct packing but not Winograd\'s runs every conv direct', async () => {
  const kn = await loadKernels();
  const direct = ExecutionPlan.build(kn, graph, weights, heads, SIZE, SIZE, { winograd: false });
  let rawWeights = 0;
  for (const t of weights.values()) rawWeights += t.byteLength;
  const limit = direct.stats.activationBytes + rawWeights;
  direct.release();
  const tight = ExecutionPlan.build(kn, graph, weights, heads, SIZE, SIZE, { memoryLimit: limit });
  try {
    assert.is(tight.stats.winogradConvs, 0);
  } finally {
    tight.release();
  }
  const roomy = ExecutionPlan.build(kn, graph, weights, heads, SIZE, SIZE, { memoryLimit: 2 * limit });
  try {
    assert.is(roomy.stats.winogradConvs, eligible);
  } finally {
    roomy.release();
  }
});

const bitEqual = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

test("winograd 'after-first-run': the first run is the direct plan's bit for bit, every later run the Winograd plan's; no memory kept after release", async () => {
  const kn = await loadKernels();
  const before = kn.heap.allocatedBytes;
  const later = ExecutionPlan.build(kn, graph, weights, heads, SIZE, SIZE, { winograd: 'after-first-run' });
  const wino = ExecutionPlan.build(kn, graph, weights, heads, SIZE, SIZE);
  const direct = ExecutionPlan.build(kn, graph, weights, heads, SIZE, SIZE, { winograd: false });
  try {
    assert.is(later.stats.winogradConvs, eligible, 'the convs it will run with Winograd');
    const [w, d] = [outputs(wino), outputs(direct)];
    const allocated = kn.heap.allocatedBytes;
    const first = outputs(later);
    for (const h of Object.keys(heads)) assert.ok(bitEqual(first[h], d[h]), `${h}: first run = direct`);
    assert.is(kn.heap.allocatedBytes, allocated, 'the first run packs nothing');
    for (let run = 2; run <= 3; run++) {
      const next = outputs(later);
      for (const h of Object.keys(heads)) assert.ok(bitEqual(next[h], w[h]), `${h}: run ${run} = Winograd`);
    }
    // Winograd's packing is 16/9 of the direct one's for the eligible convs: more memory after the swap
    assert.ok(kn.heap.allocatedBytes > allocated, 'the second run repacked');
  } finally {
    later.release();
    wino.release();
    direct.release();
  }
  assert.is(kn.heap.allocatedBytes, before, 'released plans give back all kernel memory');
  assert.throws(() => ExecutionPlan.build(kn, graph, weights, heads, SIZE, SIZE, { winograd: 'later' as never }), /options\.winograd must be true, false or 'after-first-run', got "later"/);
});

test.run();
