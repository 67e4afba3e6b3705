// int8 inference on the worker pool (runtime/threads/): the pool's helpers load the int8 kernel
// module when the int8 layers do, and split its quantise and conv calls as they split the fp32
// ones. An execution plan of the bundled model quantised to int8 gives, on two threads, exactly
// the outputs of one thread (the same shared-memory build), and the int8 detector with threads: 2
// exactly the detections and raw outputs of the int8 detector on this thread (SIMD128 build).
import { readFile } from 'node:fs/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ObjectDetector } from '../runtime/detector.js';
import { ExecutionPlan } from '../runtime/engine/plan.js';
import { int8PlanSteps } from '../runtime/engine/int8-step.js';
import { inferenceHeads } from '../runtime/model/registry.js';
import { quantizeModel } from '../runtime/quantize/quantize-model.js';
import { loadThreadedKernels } from '../runtime/threads/threaded-kernels.js';
import type { RowTask } from '../runtime/threads/pool-protocol.js';
import { init } from '../runtime/wasm/loader.js';
import { readModelFile } from '../runtime/weights/model-file.js';
import { renderScene } from '../trainer/data/synth-scene.js';
import { SHAPE_NAMES } from '../trainer/data/synth-shapes.js';
import { rng } from './helpers/random.js';
import { assertSameInfer } from './helpers/same-infer.js';

const simdBytes = new Uint8Array(await readFile(new URL('../runtime/wasm/anchorless-simd.wasm', import.meta.url)));

await init({ variant: 'simd' });
/** The bundled model in int8, calibrated on a few synthetic scenes. */
const int8Bytes = (
  await quantizeModel({
    images: [0, 1, 2].map((i) => {
      const s = renderScene(900 + i, { size: 128, classes: SHAPE_NAMES });
      return { data: s.data, width: s.width, height: s.height, channels: 3 as const };
    }),
  })
).bytes;

test('ExecutionPlan with int8 layers on loadThreadedKernels(2): the int8 quantise and conv calls split, outputs bit-identical to one thread', async () => {
  const file = readModelFile(int8Bytes, 'int8');
  assert.ok(file.int8 && file.int8.size > 0, 'the file has int8 layers');
  const heads = inferenceHeads(file.graph);
  // larger than the model's own input size, so that the quantisations split too
  const [h, w] = [512, 512];
  const r = rng(17);
  const input = new Float32Array(h * w * 3).map(() => r() * 4 - 2);
  const outputs: Record<string, Float32Array>[] = [];
  for (const threads of [1, 2]) {
    const kt = await loadThreadedKernels(threads);
    const splitCalls = new Map<string, number>();
    if (kt.pool) {
      const pool = kt.pool;
      const run = pool.run.bind(pool);
      pool.run = (task: RowTask, work: number) => {
        const before = pool.stats.split;
        run(task, work);
        if (pool.stats.split > before) splitCalls.set(task.fn, (splitCalls.get(task.fn) ?? 0) + 1);
      };
    }
    try {
      const plan = ExecutionPlan.build(kt, file.graph, file.tensors, heads, h, w, { int8: await int8PlanSteps(kt, file.int8) });
      try {
        plan.run(input);
        outputs.push(Object.fromEntries(Object.keys(heads).map((head) => [head, plan.output(head).data])));
        splitCalls.clear();
        plan.run(input);
        assert.equal(Object.fromEntries(Object.keys(heads).map((head) => [head, plan.output(head).data])), outputs.at(-1), `threads ${threads}: a second run`);
      } finally {
        plan.release();
      }
      if (threads === 2) {
        assert.ok((splitCalls.get('conv2dInt8Igemm') ?? 0) > 0, `the int8 convs split (split calls: ${JSON.stringify(Object.fromEntries(splitCalls))})`);
        assert.ok((splitCalls.get('quantizeI16') ?? 0) > 0, `the quantisations split (split calls: ${JSON.stringify(Object.fromEntries(splitCalls))})`);
        assert.ok((splitCalls.get('conv2d1x1Gemm') ?? 0) > 0, 'the fp32 convs (the heads\' last 1x1) split as before');
      }
      assert.is(kt.heap.allocatedBytes, 0, `threads ${threads}: the plan released its memory`);
    } finally {
      kt.pool?.close();
    }
  }
  for (const head of Object.keys(heads)) {
    const [one, two] = [outputs[0][head], outputs[1][head]];
    assert.is(two.length, one.length, head);
    const at = one.findIndex((v, i) => !Object.is(v, two[i]));
    assert.is(at, -1, `${head}: 2 threads differ from 1 at ${at}: ${two[at]} vs ${one[at]}`);
  }
});

test('the int8 detector with threads: 2 gives exactly the detections and raw outputs of the int8 detector on this thread', async () => {
  await init({ variant: 'simd' });
  const single = await ObjectDetector.create({ model: int8Bytes, wasm: simdBytes, scoreThreshold: 0.05 });
  const pooled = await ObjectDetector.create({ model: int8Bytes, threads: 2, scoreThreshold: 0.05 });
  try {
    const r = rng(5);
    const img = { data: new Uint8Array(192 * 160 * 3).map(() => 60 + r() * 120), width: 192, height: 160, channels: 3 as const };
    assert.equal(await pooled.detect(img), await single.detect(img), 'detections');
    await assertSameInfer(pooled, single, 6, "the pool's outputs are the single thread's");
  } finally {
    single.close();
    pooled.close();
  }
});

test.run();
