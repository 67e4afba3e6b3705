// The worker pool: one forward pass of centernet-resnet18 (512x512, 80 classes, random weights) on
// the single-threaded SIMD128 build, and on the shared-memory build with 1, 2 (and, where the
// machine has them, 4) threads, in one process. The pool's leader is this (Node main) thread,
// which may block in Atomics.wait; a detector's leader is its worker. Outputs are checked equal
// first (splitting by rows changes no arithmetic). The machine's load average is printed beside
// the ratios: threads can only help when the cores are free.
import os from 'node:os';
import { loadAverage } from './load-average.js';
import { ExecutionPlan } from '../runtime/engine/plan.js';
import { preset } from '../runtime/model/presets.js';
import { buildGraph, inferenceHeads } from '../runtime/model/registry.js';
import { loadThreadedKernels } from '../runtime/threads/threaded-kernels.js';
import { init, type Kernels } from '../runtime/wasm/loader.js';
import { interleavedRounds } from './interleaved.js';
import { randomWeights } from '../test/helpers/random-weights.js';
import { rng } from '../test/helpers/random.js';

const MODEL = process.env.BENCH_THREADS_MODEL ?? 'centernet-resnet18';
const SIZE = Number(process.env.BENCH_THREADS_SIZE ?? 512);
const ROUNDS = Number(process.env.BENCH_THREADS_ROUNDS ?? 7);

export async function run(): Promise<void> {
  const config = preset(MODEL, { numClasses: 80, inputSize: [SIZE, SIZE] });
  const graph = buildGraph(config);
  const weights = randomWeights(graph, 1);
  const heads = inferenceHeads(graph);
  const random = rng(7);
  const input = new Float32Array(SIZE * SIZE * 3).map(() => random() * 2 - 1);
  const cores = os.availableParallelism();
  const cases: { label: string; kn: Kernels }[] = [{ label: 'simd, single-threaded build', kn: await init({ variant: 'simd' }) }];
  for (const t of [1, 2, 4].filter((t) => t <= Math.max(2, cores))) cases.push({ label: `simd-threads, ${t} thread${t > 1 ? 's' : ''}`, kn: await loadThreadedKernels(t) });
  const plans = cases.map((c) => ExecutionPlan.build(c.kn, graph, weights, heads, SIZE, SIZE));
  const reference = plans.map((p) => {
    p.run(input);
    return p.output(Object.keys(heads)[0]).data;
  });
  for (let i = 1; i < reference.length; i++) {
    if (!reference[i].every((v, j) => Object.is(v, reference[0][j]))) throw new Error(`bench threads: ${cases[i].label} computes other outputs than ${cases[0].label}`);
  }
  // interleaved rounds: a load change on this machine hits every case alike (the reference run above warmed each plan)
  const timed = await interleavedRounds(cases.map((c, i) => ({ label: c.label, run: () => plans[i].run(input) })), ROUNDS, 0);
  const oneThread = timed[1].medianMs;
  console.log(`${MODEL} at ${SIZE}x${SIZE}, median of ${ROUNDS} interleaved rounds; ${cores} cores, load average ${loadAverage()}`);
  console.table(timed.map((t) => ({ kernels: t.label, 'p50 ms': t.medianMs.toFixed(1), 'speed-up vs 1 thread': (oneThread / t.medianMs).toFixed(2) })));
  for (const p of plans) p.release();
  for (const c of cases) c.kn.pool?.close();
}
