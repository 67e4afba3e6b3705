// One training step (forward, the loss, backward, Adam) on the same batch and initial weights, on
// each backend asked for (BENCH_TRAIN_BACKENDS, a comma list; default all but the native ones):
// - wasm: the TensorFlow.js wasm backend with our training kernels (trainer/wasm-kernels: convs,
//   and the fused batch norm, corner pooling and up-sampling of the training module);
// - wasm-2: the same step data parallel on 2 threads (trainer/parallel: a worker thread computes
//   the gradients of half the batch), what `train` does by default on the wasm backend;
// - plain-cpu: @tensorflow/tfjs-backend-cpu as shipped, in a child process that never registers
//   the trainer's kernels (the acceptance baseline: wasm >= 20x faster);
// - cpu: the cpu backend with trainer/cpu-kernels' weight-gradient loops and the fused kernels'
//   JavaScript (for information);
// - webgpu: tfjs-backend-webgpu, with the trainer's weight-gradient and Adam kernels
//   (trainer/webgpu-kernels), on the adapter trainer/webgpu.ts finds (a software one too, unless
//   BENCH_TRAIN_WEBGPU_SOFTWARE=0: bench/gpu-train.sh asks for a real GPU); skipped with the reason
//   when no adapter can be had (an Error when BENCH_TRAIN_BACKENDS names it);
// - tfjs-node, tfjs-node-gpu: the native backends, where they are installed.
// The step is the trainer's: variableGrads of batchLoss, then applyAdam; the loss is read with
// `await data()` (no dataSync, which webgpu lacks in Node), which also waits for a GPU's queue.
// Env: BENCH_TRAIN_ARCH (any preset; default centernet-tiny), BENCH_TRAIN_SIZE (input side, default
// 128), BENCH_TRAIN_BATCH (default 8), BENCH_TRAIN_STEPS (timed steps after one warm-up, default 10;
// the cpu backends time one step), BENCH_TRAIN_PLAIN_CPU=0 drops plain-cpu from the default list
// (~150 s a step here), BENCH_TRAIN_PROFILE=1 (the single-thread backends: one more step under
// tf.profile, its 10 costliest kernels; on webgpu their GPU time), BENCH_TRAIN_DCN_OP_BY_OP=1 (a
// preset with DCNv2, on the single-thread backends: the step again with the layer's op-by-op form,
// its fused sampling kernels unregistered for the while: trainer/layers/deform-conv.ts).
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Optimizer, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import * as tfCore from '@tensorflow/tfjs-core';
import { PRESET_NAMES, preset } from '../runtime/model/presets.js';
import { buildGraph } from '../runtime/model/registry.js';
import { inferShapes } from '../runtime/model/graph.js';
import { ensureGradients, selectBackend, type SelectedBackend, type TF } from '../trainer/backend.js';
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
import { DEFORM_COLUMNS, DEFORM_COLUMNS_GRAD_OFFSET_MASK, DEFORM_COLUMNS_GRAD_X } from '../trainer/layers/deform-conv.js';
import { applyAdam } from '../trainer/optimizer.js';

const ARCH = process.env.BENCH_TRAIN_ARCH ?? 'centernet-tiny';
if (!PRESET_NAMES.includes(ARCH)) throw new Error(`bench train-step: BENCH_TRAIN_ARCH must be one of ${PRESET_NAMES.join(', ')}, got ${JSON.stringify(ARCH)}`);
const SIZE = positiveInt('BENCH_TRAIN_SIZE', 128);
const BATCH = positiveInt('BENCH_TRAIN_BATCH', 8);
const STEPS = positiveInt('BENCH_TRAIN_STEPS', 10);
/** BENCH_TRAIN_PROFILE=1: after the timing, one more step under tf.profile, its kernels by time. */
const PROFILE = process.env.BENCH_TRAIN_PROFILE === '1';
/** BENCH_TRAIN_DCN_OP_BY_OP=1: also time the DCNv2 layer's op-by-op form (a preset with dcn nodes). */
const DCN_OP_BY_OP = process.env.BENCH_TRAIN_DCN_OP_BY_OP === '1';
const ALL_BACKENDS = ['wasm', 'wasm-2', 'plain-cpu', 'cpu', 'webgpu', 'tfjs-node', 'tfjs-node-gpu'] as const;
type BenchBackend = (typeof ALL_BACKENDS)[number];
const BACKENDS = backendList();
/** A list given by the caller: a backend in it that cannot load is an Error, not a skipped row. */
const EXPLICIT = process.env.BENCH_TRAIN_BACKENDS !== undefined;
const ALLOW_SOFTWARE_GPU = process.env.BENCH_TRAIN_WEBGPU_SOFTWARE !== '0';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`bench train-step: ${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function backendList(): BenchBackend[] {
  const raw = process.env.BENCH_TRAIN_BACKENDS;
  if (raw === undefined) return ['wasm', 'wasm-2', ...(process.env.BENCH_TRAIN_PLAIN_CPU === '0' ? [] : ['plain-cpu' as const]), 'cpu', 'webgpu'];
  const names = raw.split(',').map((b) => b.trim());
  for (const b of names) {
    if (!(ALL_BACKENDS as readonly string[]).includes(b)) throw new Error(`bench train-step: BENCH_TRAIN_BACKENDS: unknown backend ${JSON.stringify(b)} (known: ${ALL_BACKENDS.join(', ')})`);
  }
  return names as BenchBackend[];
}
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
  const detector = config.detector === 'cornernet' ? cornerNetTargets : centerNetTargets;
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
    return detector({ boxes, classIds }, opts) as unknown as ImageTargets;
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
  const step = async () => {
    const value = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => batchLoss(tf, config, runGraph(tf, graph, params.values, x, { training: true }), batch, outputSize).total, params.trainable as Variable[]);
      applyAdam(tf, optimizer, grads, () => 0);
      return value;
    });
    const loss = (await value.data())[0];
    value.dispose();
    return loss;
  };
  try {
    const timing = await timeLoop(step, warmup, steps);
    if (PROFILE) printProfile(tf, await tf.profile(step));
    return timing;
  } finally {
    tf.dispose([x, ...params.trainable]);
    optimizer.dispose();
  }
}

/**
 * A profiled step's kernels, the 10 that took longest in all: on webgpu their GPU time where the
 * device has timestamp queries (else 0), elsewhere the time of each kernel call.
 */
function printProfile(tf: TF, info: Awaited<ReturnType<TF['profile']>>): void {
  const byName = new Map<string, { ms: number; calls: number }>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls++;
    byName.set(k.name, entry);
    total += ms;
  }
  console.log(`${tf.getBackend()} profile of one step: ${info.kernels.length} kernel calls, ${total.toFixed(1)} ms of kernel time`);
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10)) {
    console.log(`  ${name.padEnd(36)} ${e.ms.toFixed(1).padStart(9)} ms  ${String(e.calls).padStart(5)} calls`);
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

/** The row label of each bench backend. */
const LABELS: Record<BenchBackend, string> = {
  wasm: 'wasm + our SIMD training kernels',
  'wasm-2': 'the same on 2 threads (data parallel)',
  'plain-cpu': 'plain cpu (tfjs-backend-cpu as shipped)',
  cpu: 'cpu + trainer/cpu-kernels loops',
  webgpu: 'webgpu',
  'tfjs-node': 'tfjs-node (native)',
  'tfjs-node-gpu': 'tfjs-node-gpu (native, CUDA)',
};

/** Selects a trainer backend for the bench; undefined (and the reason printed) when it cannot load. */
async function tryBackend(name: 'wasm' | 'cpu' | 'webgpu' | 'tfjs-node' | 'tfjs-node-gpu'): Promise<SelectedBackend | undefined> {
  try {
    const b = await selectBackend(name, { log: () => undefined });
    if (b.adapter?.software && !ALLOW_SOFTWARE_GPU) throw new Error(`the only WebGPU adapter is ${b.adapter.description}, and BENCH_TRAIN_WEBGPU_SOFTWARE=0 asks for a real GPU (bench/gpu-train.sh: GPU_TRAIN_ALLOW_SOFTWARE=1 runs on it)`);
    return b;
  } catch (e) {
    if (EXPLICIT) throw new Error(`bench train-step: BENCH_TRAIN_BACKENDS asks for ${name}: ${(e as Error).message}`);
    console.log(`${name}: skipped (${(e as Error).message})`);
    return undefined;
  }
}

/** Runs `fn` with the current backend's fused DCNv2 kernels unregistered (the layer then runs its op-by-op form), then puts them back. */
async function withoutDeformKernels<T>(tf: TF, fn: () => Promise<T>): Promise<T> {
  const backend = tf.getBackend();
  const saved = [DEFORM_COLUMNS, DEFORM_COLUMNS_GRAD_X, DEFORM_COLUMNS_GRAD_OFFSET_MASK].map((k) => tf.getKernel(k, backend)).filter((k) => k !== undefined);
  for (const k of saved) tf.unregisterKernel(k.kernelName, backend);
  try {
    return await fn();
  } finally {
    for (const k of saved) tf.registerKernel(k);
  }
}

export async function run(): Promise<void> {
  console.log(`${ARCH} ${SIZE}x${SIZE}, batch ${BATCH}: mean of ${STEPS} steps after 1 warm-up (plain cpu: 1 step; cpu: 1 after a warm-up)`);
  const timings = new Map<BenchBackend, Timing>();
  const opByOp: [string, Timing][] = [];
  // The child runs alone first: the machine has 2 cores, and the timings must not overlap.
  if (BACKENDS.includes('plain-cpu')) timings.set('plain-cpu', await plainCpuInChild());
  let wasmKernels: SelectedBackend['wasmKernels'];
  for (const name of BACKENDS) {
    if (name === 'plain-cpu') continue;
    const b = await tryBackend(name === 'wasm-2' ? 'wasm' : name);
    if (!b) continue;
    if (b.adapter) console.log(`webgpu adapter: ${b.adapter.description}`);
    wasmKernels ??= b.wasmKernels;
    timings.set(name, name === 'wasm-2' ? await timeParallelSteps(b.tf, 2, 1, STEPS) : await timeSteps(b.tf, 1, name === 'cpu' ? 1 : STEPS));
    if (DCN_OP_BY_OP && name !== 'wasm-2' && setup().graph.nodes.some((n) => n.op === 'dcn')) {
      opByOp.push([`${LABELS[name]}, op-by-op DCNv2`, await withoutDeformKernels(b.tf, () => timeSteps(b.tf, 1, name === 'cpu' ? 1 : STEPS))]);
    }
  }
  console.table(
    [...[...timings].map(([name, t]) => [LABELS[name], t] as const), ...opByOp].map(([label, t]) => ({ backend: label, 'ms/step': t.ms.toFixed(0), 'img/s': ((BATCH * 1000) / t.ms).toFixed(1), 'first loss': t.firstLoss.toFixed(5) })),
  );
  const wasmT = timings.get('wasm');
  const plainCpu = timings.get('plain-cpu');
  if (wasmT && plainCpu) {
    const ratio = plainCpu.ms / wasmT.ms;
    console.log(`wasm is ${ratio.toFixed(1)}x faster than the plain cpu backend (goal >= 20x: ${ratio >= 20 ? 'met' : 'NOT met'})`);
  }
  const patched = timings.get('cpu');
  if (wasmT && patched) console.log(`wasm is ${(patched.ms / wasmT.ms).toFixed(1)}x faster than the patched cpu backend`);
  const parallel = timings.get('wasm-2');
  if (wasmT && parallel) console.log(`2 threads: ${(wasmT.ms / parallel.ms).toFixed(2)}x the images per second of one (first loss is the mean of the two halves' losses)`);
  const gpu = timings.get('webgpu');
  if (wasmT && gpu) console.log(`webgpu: ${(wasmT.ms / gpu.ms).toFixed(2)}x the images per second of wasm on one thread`);
  if (wasmKernels) console.log(`wasm training kernels: ours ${wasmKernels.native.join(', ') || '(none)'}; cpu fallback ${wasmKernels.cpuFallback.join(', ') || '(none)'}`);
}

// Child mode: the shipped cpu backend, never touched by selectBackend; prints one JSON line.
if (process.argv.includes(PLAIN_FLAG) && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await ensureGradients();
  if (!(await tfCore.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  quietCpuBackend(tfCore);
  console.log(JSON.stringify(await timeSteps(tfCore, 0, 1)));
}
