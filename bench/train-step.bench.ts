// One training step of centernet-tiny (forward, the loss, backward, Adam) on the same batch and
// initial weights, four ways:
// - wasm: the TensorFlow.js wasm backend with our training kernels (trainer/wasm-kernels: convs,
//   and the fused batch norm, corner pooling and up-sampling of the training module);
// - plain cpu: @tensorflow/tfjs-backend-cpu as shipped, in a child process that never registers
//   the trainer's kernels (the acceptance baseline: wasm >= 20x faster);
// - patched cpu: the cpu backend with trainer/cpu-kernels' weight-gradient loops and the fused
//   kernels' JavaScript (for information);
// - wasm on 2 threads: the same step data parallel (trainer/parallel: a worker thread computes the
//   gradients of half the batch), what `train` does by default on the wasm backend.
// Env: BENCH_TRAIN_ARCH (centernet-tiny, the default, or cornernet-tiny: CornerNet's loss and
// corner pooling), BENCH_TRAIN_SIZE (input side, default 128), BENCH_TRAIN_BATCH (default 8), BENCH_TRAIN_STEPS
// (timed wasm steps, default 10), BENCH_TRAIN_PLAIN_CPU=0 skips the plain cpu run (~150 s a step here).
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Optimizer, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import * as tfCore from '@tensorflow/tfjs-core';
import { preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { inferShapes } from '../runtime/model/graph.js';
import { ensureGradients, selectBackend, type TF } from '../trainer/backend.js';
import { quietCpuBackend } from '../trainer/wasm-kernels/cpu-fallback.js';
import { initParams } from '../trainer/model/params.js';
import { runGraph } from '../trainer/model/tf-graph.js';
import { centerNetTargets } from '../trainer/targets/centernet-targets.js';
import { cornerNetTargets } from '../trainer/targets/cornernet-targets.js';
import { batchLoss } from '../trainer/batch-loss.js';
import { rng } from '../test/helpers/random.js';
import { concatTargets } from '../trainer/data/batches.js';
import type { ImageTargets } from '../trainer/data/target-spec.js';
import { GradientWorkers } from '../trainer/parallel/gradient-workers.js';
import { applyAdam } from '../trainer/optimizer.js';

const ARCH = process.env.BENCH_TRAIN_ARCH ?? 'centernet-tiny';
if (ARCH !== 'centernet-tiny' && ARCH !== 'cornernet-tiny') throw new Error(`BENCH_TRAIN_ARCH must be centernet-tiny or cornernet-tiny, got ${ARCH}`);
const SIZE = Number(process.env.BENCH_TRAIN_SIZE ?? 128);
const BATCH = Number(process.env.BENCH_TRAIN_BATCH ?? 8);
const STEPS = Number(process.env.BENCH_TRAIN_STEPS ?? 10);
const PLAIN_FLAG = '--plain-cpu';

interface Timing {
  /** Mean ms per timed step. */
  ms: number;
  /** Loss of the first (warm-up or only) step: the same weights and batch give the same value everywhere. */
  firstLoss: number;
}

/** The model, the batch and its targets: seeded, identical in every process. */
function setup() {
  const config = preset(ARCH, { numClasses: 6, inputSize: [SIZE, SIZE] });
  const graph = buildGraph(config);
  const hm = inferShapes(graph, SIZE, SIZE).get(Object.values(graph.heads)[0][0])!;
  const outputSize: [number, number] = [hm.h, hm.w];
  const r = rng(3);
  const input = Float32Array.from({ length: BATCH * SIZE * SIZE * 3 }, () => r() * 2 - 1);
  const targets = Array.from({ length: BATCH }, () => {
    const boxes: [number, number, number, number][] = [];
    const classIds: number[] = [];
    for (let k = 0; k < 4; k++) {
      const x = r() * SIZE * 0.7;
      const y = r() * SIZE * 0.7;
      boxes.push([x, y, x + 8 + r() * SIZE * 0.3, y + 8 + r() * SIZE * 0.3]);
      classIds.push(k % 6);
    }
    const opts = { inputSize: [SIZE, SIZE] as [number, number], outputSize, numClasses: 6 };
    return (ARCH === 'centernet-tiny' ? centerNetTargets({ boxes, classIds }, opts) : cornerNetTargets({ boxes, classIds }, opts)) as unknown as ImageTargets;
  });
  // the loader's batch layout: each target array image after image (count and dropped become [B])
  const batch = { input, shape: [BATCH, SIZE, SIZE, 3] as [number, number, number, number], targets: concatTargets(targets) };
  return { config, graph, outputSize, input, batch };
}

/**
 * `warmup` untimed calls of `step` (kernel set-up, memory pools), then the mean time of `steps`
 * timed ones; the loss of the first call, timed or not.
 */
async function timeLoop(step: () => number | Promise<number>, warmup: number, steps: number): Promise<Timing> {
  let firstLoss = NaN;
  for (let i = 0; i < warmup; i++) {
    const loss = await step();
    if (i === 0) firstLoss = loss;
  }
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const loss = await step();
    if (warmup === 0 && i === 0) firstLoss = loss;
  }
  return { ms: (performance.now() - t0) / steps, firstLoss };
}

/** One thread: variableGrads on the whole batch, then Adam. */
async function timeSteps(tf: TF, warmup: number, steps: number): Promise<Timing> {
  const { graph, outputSize, input, batch, config } = setup();
  const params = initParams(tf, graph, 1);
  const optimizer: Optimizer = tf.train.adam(1e-3);
  const x = tf.tensor4d(input, [BATCH, SIZE, SIZE, 3]) as Tensor4D;
  const step = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => batchLoss(tf, config, runGraph(tf, graph, params.values, x, { training: true }), batch, outputSize).total, params.trainable as Variable[]);
      applyAdam(tf, optimizer, grads, () => 0);
      return value.dataSync()[0];
    });
  try {
    return await timeLoop(step, warmup, steps);
  } finally {
    tf.dispose([x, ...params.trainable]);
    optimizer.dispose();
  }
}

/** The same step, its gradients computed by `threads` threads (GradientWorkers), then Adam. */
async function timeParallelSteps(tf: TF, threads: number, warmup: number, steps: number): Promise<Timing> {
  const { graph, outputSize, batch, config } = setup();
  const params = initParams(tf, graph, 1);
  const optimizer: Optimizer = tf.train.adam(1e-3);
  const workers = await GradientWorkers.start({ tf, backend: 'wasm', graph, config, params, outputSize, threads });
  const step = async () => {
    const { grads, parts } = await workers.gradients(batch);
    applyAdam(tf, optimizer, grads, () => 0);
    tf.dispose(Object.values(grads));
    return parts.total;
  };
  try {
    return await timeLoop(step, warmup, steps);
  } finally {
    await workers.close();
    tf.dispose(params.trainable);
    optimizer.dispose();
  }
}

/** The plain cpu measurement, in a child process (this file with PLAIN_FLAG). */
function plainCpuInChild(): Promise<Timing> {
  const file = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, file, PLAIN_FLAG], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit code ${code}`);
        resolve(JSON.parse(line) as Timing);
      } catch (e) {
        reject(new Error(`plain cpu child failed (${(e as Error).message}): ${out.slice(-500)}`));
      }
    });
  });
}

export async function run(): Promise<void> {
  const plain = process.env.BENCH_TRAIN_PLAIN_CPU === '0' ? undefined : plainCpuInChild();
  // The child runs alone first: the machine has 2 cores, and the timings must not overlap.
  const plainCpu = await plain;
  const wasm = await selectBackend('wasm', { log: () => undefined });
  const wasmT = await timeSteps(wasm.tf, 1, STEPS);
  const parallelT = await timeParallelSteps(wasm.tf, 2, 1, STEPS);
  const cpu = await selectBackend('cpu', { log: () => undefined });
  const patchedT = await timeSteps(cpu.tf, 1, 1);
  const row = (backend: string, t: Timing) => ({ backend, 'ms/step': t.ms.toFixed(0), 'img/s': ((BATCH * 1000) / t.ms).toFixed(1), 'first loss': t.firstLoss.toFixed(5) });
  console.table([
    row('wasm + our SIMD training kernels', wasmT),
    row('the same on 2 threads (data parallel)', parallelT),
    ...(plainCpu ? [row('plain cpu (tfjs-backend-cpu as shipped)', plainCpu)] : []),
    row('cpu + trainer/cpu-kernels loops', patchedT),
  ]);
  console.log(`${ARCH} ${SIZE}x${SIZE}, batch ${BATCH}, wasm mean of ${STEPS} steps after 1 warm-up; plain cpu 1 step; patched cpu 1 step after 1 warm-up`);
  if (plainCpu) {
    const ratio = plainCpu.ms / wasmT.ms;
    console.log(`wasm is ${ratio.toFixed(1)}x faster than the plain cpu backend (goal >= 20x: ${ratio >= 20 ? 'met' : 'NOT met'})`);
  } else {
    console.log('plain cpu skipped (BENCH_TRAIN_PLAIN_CPU=0): no acceptance ratio');
  }
  console.log(`wasm is ${(patchedT.ms / wasmT.ms).toFixed(1)}x faster than the patched cpu backend`);
  console.log(`2 threads: ${(wasmT.ms / parallelT.ms).toFixed(2)}x the images per second of one (first loss is the mean of the two halves' losses)`);
  if (wasm.wasmKernels) console.log(`wasm training kernels: ours ${wasm.wasmKernels.native.join(', ') || '(none)'}; cpu fallback ${wasm.wasmKernels.cpuFallback.join(', ') || '(none)'}`);
}

// Child mode: the shipped cpu backend, never touched by selectBackend; prints one JSON line.
if (process.argv.includes(PLAIN_FLAG) && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await ensureGradients();
  if (!(await tfCore.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  quietCpuBackend(tfCore);
  console.log(JSON.stringify(await timeSteps(tfCore, 0, 1)));
}
